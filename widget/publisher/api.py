"""The publisher API's routes: articles, summary, history, export and reset of a site.

They belong to the publisher blueprint (``blueprint.py``: its key check, limits and
``no-store``); ``export_response`` is the dashboard's export too.
"""

from __future__ import annotations

from flask import Response, jsonify, stream_with_context

from ..context import get_store
from ..sites import Site
from ..validation import MAX_QUERY_CHARS, bad_request
from .articles import resolved
from .audit import record_reset
from .auth import require_publisher
from .blueprint import article_param, bp, query_params
from .export import export_csv, export_json, record_json
from .roles import Role, needs
from .tallies import (
    DEFAULT_DAYS,
    DEFAULT_LIMIT,
    MAX_DAYS,
    MAX_LIMIT,
    CursorError,
    history,
    list_articles,
    sorts,
    summary,
)


def int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """Return a whole-number parameter in [low, high], or raise 400 bad_request."""
    raw = params.get(name)
    if raw is None:
        return default
    # Its length first: int() of more than 4,300 digits raises, and no bound has that many.
    digits = raw.lstrip("0") or "0"
    if (
        not raw.isascii()
        or not raw.isdigit()
        or len(digits) > len(str(high))
        or not low <= int(digits) <= high
    ):
        raise bad_request(f"{name} must be a whole number from {low} to {high}")
    return int(digits)


def sort_param(site: Site, raw: str | None) -> str:
    """Return a sort order of the site, or raise 400 bad_request."""
    if raw is None:
        return "total"
    if raw not in sorts(site):
        raise bad_request(f"sort must be one of {', '.join(sorts(site))}")
    return raw


@bp.get("/articles")
@needs(Role.VIEWER)
def articles(site_id: str) -> Response:
    """List the site's articles by total, recency or a reaction, a page at a time."""
    site = require_publisher(site_id)
    params = query_params({"sort", "limit", "cursor", "q"})
    sort = sort_param(site, params.get("sort"))
    limit = int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    q = params.get("q")
    if q is not None and len(q) > MAX_QUERY_CHARS:
        raise bad_request(f"q is at most {MAX_QUERY_CHARS} characters")
    try:
        page = list_articles(get_store(), site, sort, limit, params.get("cursor") or None, q)
    except CursorError as exc:
        raise bad_request(str(exc)) from None
    return jsonify(
        {"articles": [record_json(r) for r in page.articles], "next_cursor": page.next_cursor}
    )


@bp.get("/summary")
@needs(Role.VIEWER)
def site_summary(site_id: str) -> Response:
    """Return the site's totals, a per-day series and the top articles per reaction."""
    site = require_publisher(site_id)
    params = query_params({"days"})
    days = int_param(params, "days", DEFAULT_DAYS, 1, MAX_DAYS)
    return jsonify(summary(get_store(), site, days))


@bp.get("/history")
@needs(Role.VIEWER)
def article_history(site_id: str) -> Response:
    """Return one article's net change of each count per day."""
    site = require_publisher(site_id)
    params = query_params({"article", "days"})
    article = resolved(site, article_param(params))
    days = int_param(params, "days", DEFAULT_DAYS, 1, MAX_DAYS)
    return jsonify(history(get_store(), site, article, days))


def export_response(site: Site, fmt: str) -> Response:
    """Return every article of the site as a streamed CSV or JSON download."""
    store = get_store()
    if fmt == "csv":
        body, mimetype = export_csv(store, site), "text/csv"
    else:
        body, mimetype = export_json(store, site), "application/json"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{site.id}-reactions.{fmt}"'
    return response


@bp.get("/export")
@needs(Role.VIEWER)
def export(site_id: str) -> Response:
    """Stream every article of the site as CSV or JSON, a batch at a time."""
    site = require_publisher(site_id)
    params = query_params({"format"})
    fmt = params.get("format", "csv")
    if fmt not in {"csv", "json"}:
        raise bad_request("format must be csv or json")
    return export_response(site, fmt)


@bp.delete("/reactions")
@needs(Role.EDITOR)
def reset(site_id: str) -> Response:
    """Remove one article's counts, readers and history."""
    site = require_publisher(site_id)
    article = resolved(site, article_param(query_params({"article"})))
    store = get_store()
    was = store.articles.record(site.id, article, site.reaction_keys)
    if store.articles.reset(site.id, article, site.reaction_keys) and was is not None:
        record_reset(site.id, was)
    return Response(status=204)
