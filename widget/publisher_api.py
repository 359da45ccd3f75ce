"""The publisher API: a site's tallies for the publisher's own programs.

Threat model: every endpoint needs the site's API key as a bearer token (``auth.py``),
so it is called by servers and scripts, not by readers' browsers: no CORS headers are
sent, and no cookie is ever read here (the dashboard has its own session-based routes).
Answers hold non-public data (first and last reaction times) and are ``no-store``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify, request, stream_with_context

from . import config
from .auth import bearer_key, require_publisher
from .context import get_sites, get_store
from .errors import ApiError
from .limits import address_key, configured, limiter
from .sites import Site
from .tallies import (
    DEFAULT_DAYS,
    DEFAULT_LIMIT,
    MAX_DAYS,
    MAX_LIMIT,
    CursorError,
    export_csv,
    export_json,
    history,
    list_articles,
    record_json,
    sorts,
    summary,
)
from .validation import MAX_QUERY_CHARS, bad_request, check_article

bp = Blueprint("publisher_api", __name__, url_prefix="/v1/sites/<site_id>")


def publisher_key() -> str:
    """Return the rate-limit key of a publisher request: the site's key, else the address."""
    site_id = (request.view_args or {}).get("site_id")
    api_key = bearer_key()
    if site_id and api_key:
        site = get_sites().get(str(site_id))
        if site is not None and site.check_key(api_key):
            return f"k:{site.id}"
    return address_key()


# One budget per site key, shared by every endpoint (limits.py says why keys are hashed).
limiter.shared_limit(
    configured(config.RATELIMIT_PUBLISHER), scope="publisher", key_func=publisher_key
)(bp)


@bp.after_request
def no_store(response: Response) -> Response:
    """Keep tallies out of every cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _params(allowed: Iterable[str]) -> dict[str, str]:
    """Return the query parameters, refusing unknown or repeated ones."""
    allowed = frozenset(allowed)
    for name in request.args:
        if name not in allowed:
            raise bad_request(f"unknown query parameter {name!r}")
        if len(request.args.getlist(name)) > 1:
            raise bad_request(f"give {name!r} at most once")
    return dict(request.args.items())


def int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """Return a whole-number parameter in [low, high], or raise 400 bad_request."""
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_request(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def sort_param(site: Site, raw: str | None) -> str:
    """Return a sort order of the site, or raise 400 bad_request."""
    if raw is None:
        return "total"
    if raw not in sorts(site):
        raise bad_request(f"sort must be one of {', '.join(sorts(site))}")
    return raw


@bp.get("/articles")
def articles(site_id: str) -> Response:
    """List the site's articles by total, recency or a reaction, a page at a time."""
    site = require_publisher(site_id)
    params = _params({"sort", "limit", "cursor", "q"})
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
def site_summary(site_id: str) -> Response:
    """Return the site's totals, a per-day series and the top articles per reaction."""
    site = require_publisher(site_id)
    params = _params({"days"})
    days = int_param(params, "days", DEFAULT_DAYS, 1, MAX_DAYS)
    return jsonify(summary(get_store(), site, days))


@bp.get("/history")
def article_history(site_id: str) -> Response:
    """Return one article's net change of each count per day."""
    site = require_publisher(site_id)
    params = _params({"article", "days"})
    if "article" not in params:
        raise ApiError(400, "invalid_article", "name the article: ?article=<id>")
    article = check_article(params["article"])
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
def export(site_id: str) -> Response:
    """Stream every article of the site as CSV or JSON, a batch at a time."""
    site = require_publisher(site_id)
    params = _params({"format"})
    fmt = params.get("format", "csv")
    if fmt not in {"csv", "json"}:
        raise bad_request("format must be csv or json")
    return export_response(site, fmt)


@bp.delete("/reactions")
def reset(site_id: str) -> Response:
    """Remove one article's counts, readers and history."""
    site = require_publisher(site_id)
    params = _params({"article"})
    if "article" not in params:
        raise ApiError(400, "invalid_article", "name the article: ?article=<id>")
    article = check_article(params["article"])
    get_store().reset_article(site.id, article, site.reaction_keys)
    return Response(status=204)


def json_body() -> Any:
    """Return the request's JSON body, or raise 415 or 400."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        return json.loads(request.get_data())
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        raise bad_request("the body is not valid JSON") from None


from . import article_api, settings_api  # noqa: E402,F401  (their routes attach to bp)
