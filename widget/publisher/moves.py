"""Moving and merging articles: ``POST .../article/move``, ``DELETE .../article/alias``.

``move_article`` is the one door the API, the dashboard's form and ``articles move`` go
through: the store moves (``store/moves.py``), and the audit log records the move once.
``resolved`` turns an alias into the article it names, for the publisher's reads and edits
of one article (an alias has no counts, title or history of its own).
"""

from __future__ import annotations

from flask import Response, jsonify

from ..bodies import json_body
from ..context import get_store
from ..errors import ApiError
from ..sites import Site
from ..store import Moved, MoveRefused
from ..validation import bad_request, check_article
from . import audit
from .articles import article_json
from .auth import require_publisher
from .blueprint import article_param, bp, query_params
from .roles import Role, needs

MAX_BODY_BYTES = 4096
STATUS = {"bad_request": 400, "not_found": 404, "conflict": 409}


def move_article(site: Site, source: str, target: str) -> Moved:
    """Move ``source`` to ``target`` and record it; raise ApiError when it is refused."""
    try:
        moved = get_store().moves.move(site.id, source, target, site.reaction_keys)
    except MoveRefused as refused:
        raise ApiError(STATUS[refused.code], refused.code, str(refused)) from None

    def counts(found: dict[str, int]) -> dict[str, int]:
        return {key: found.get(key, 0) for key in site.reaction_keys}

    audit.record(
        site.id,
        "article.move",
        target=source,
        before={"counts": counts(moved.source_counts), "to": moved.article,
                "to_counts": counts(moved.before)},
        after={"alias_of": moved.article, "to_counts": counts(moved.after)},
    )  # fmt: skip
    return moved


@bp.post("/article/move")
@needs(Role.EDITOR)
def move(site_id: str) -> Response:
    """Move article ``from`` to ``to`` (merging when it has counts); answer ``to``'s object."""
    site = require_publisher(site_id)
    query_params(())
    body = json_body(max_bytes=MAX_BODY_BYTES, want_object=True)
    unknown = sorted(set(body) - {"from", "to"})
    if unknown:
        raise bad_request(f"unknown field {unknown[0][:40]!r}")
    for name in ("from", "to"):
        if name not in body:
            raise bad_request(f"the field {name!r} is required")
    moved = move_article(site, check_article(body["from"]), check_article(body["to"]))
    return jsonify(article_json(site, moved.article))


def forget_alias(site: Site, alias: str) -> str:
    """Make an alias an id of its own again (it starts empty); return what it named, or
    raise 404. Every door's way: the API and the dashboard, recorded once."""
    target = get_store().moves.delete_alias(site.id, alias)
    if target is None:
        raise ApiError(404, "not_found", f"{alias[:64]!r} is no alias")
    audit.record(site.id, "article.alias.delete", target=alias, before={"alias_of": target})
    return target


@bp.delete("/article/alias")
@needs(Role.EDITOR)
def delete_alias(site_id: str) -> Response:
    """Make an alias an id of its own again: it starts empty."""
    site = require_publisher(site_id)
    forget_alias(site, article_param(query_params({"article"})))
    return Response(status=204)
