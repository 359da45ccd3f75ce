"""The publisher API's article: read one, and change its title, url and closed flag.

The routes belong to the publisher blueprint (its key check, limits and ``no-store``).
Readers name an article's title and url only with its first counted reaction; after that
they are the publisher's, changed here (or on the dashboard's article page).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..bodies import json_body
from ..context import get_store
from ..errors import ApiError
from ..reader.visibility import article_closed
from ..sites import Site
from ..validation import bad_request, check_title, check_url
from .audit import record_article
from .auth import require_publisher
from .blueprint import article_param, bp, query_params
from .export import record_json
from .roles import Role, needs

ARTICLE_FIELDS = frozenset({"title", "url", "closed"})
MAX_BODY_BYTES = 4096


def resolved(site: Site, article: str) -> str:
    """Return the article an id names: itself, or the one an alias was moved to (moves.py)."""
    return get_store().moves.resolve(site.id, article) or article


def article_json(site: Site, article: str) -> dict[str, Any]:
    """Return the article's object as ``articles`` lists it, with ``closed`` and ``aliases``
    (an alias answers for its article); 404 if none."""
    store = get_store()
    article = resolved(site, article)
    record = store.articles.record(site.id, article, site.reaction_keys)
    if record is None:
        raise ApiError(404, "not_found", f"nobody reacted to {article[:64]!r} yet")
    # Closed by the publisher, or by the site's age rule (close_after_days).
    closed = article_closed(store, site, article)
    return {
        **record_json(record),
        "closed": closed,
        "aliases": store.moves.aliases(site.id, article),
    }


def check_changes(body: dict[str, Any]) -> dict[str, str | None]:
    """Return the article fields a PATCH body changes (None removes one), or raise 400."""
    unknown = sorted(set(body) - ARTICLE_FIELDS)
    if unknown:
        raise bad_request(f"unknown field {unknown[0][:40]!r}")
    changes: dict[str, str | None] = {}
    if "title" in body:
        changes["title"] = check_title(body["title"])
    if "url" in body:
        changes["url"] = check_url(body["url"])
    if "closed" in body:
        if not isinstance(body["closed"], bool):
            raise bad_request("closed must be true or false")
        changes["closed"] = "1" if body["closed"] else "0"
    return changes


def _article_param() -> str:
    return article_param(query_params({"article"}))


@bp.get("/article")
@needs(Role.VIEWER)
def get_article(site_id: str) -> Response:
    """Return one article's counts and metadata, and whether voting on it is closed."""
    site = require_publisher(site_id)
    return jsonify(article_json(site, _article_param()))


@bp.patch("/article")
@needs(Role.EDITOR)
def patch_article(site_id: str) -> Response:
    """Change an article's title, url or closed flag; it must have counts (else 404)."""
    site = require_publisher(site_id)
    article = resolved(site, _article_param())
    changes = check_changes(json_body(max_bytes=MAX_BODY_BYTES, want_object=True))
    store = get_store()
    was = store.articles.record(site.id, article, site.reaction_keys)
    if was is None or not store.articles.update(site.id, article, changes):
        raise ApiError(404, "not_found", f"nobody reacted to {article[:64]!r} yet")
    record_article(site.id, was, changes)
    return jsonify(article_json(site, article))
