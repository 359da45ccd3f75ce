"""The publisher API's keys and audit log: ``.../keys`` (admin) and ``.../audit`` (viewer).

Routes of the publisher blueprint (same key check, limit and ``no-store``). A key is
shown once, in the answer that makes it; only its digest is kept (``sites/api_keys.py``),
and no answer here ever holds a key's digest. A revoked key stops working on every worker
at once (``auth.py`` reads the site record on each request) and its dashboard sessions end.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..bodies import json_body
from ..context import get_sites, get_store
from ..errors import ApiError
from ..sites import SiteError
from ..sites.api_keys import KeyConflict, UnknownKey
from ..store.audit_log import CursorError
from ..validation import bad_request
from .api import int_param
from .audit import entry_json, record_key
from .auth import require_publisher
from .blueprint import bp, query_params
from .roles import Role, needs

MAX_BODY_BYTES = 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def key_error(exc: SiteError) -> ApiError:
    """Return the API's answer to a refused key change: 409, 404 or 400."""
    if isinstance(exc, KeyConflict):
        return ApiError(409, "conflict", str(exc))
    if isinstance(exc, UnknownKey):
        return ApiError(404, "not_found", str(exc))
    return bad_request(str(exc))


@bp.get("/keys")
@needs(Role.ADMIN)
def list_keys(site_id: str) -> Response:
    """List the site's keys: name, role, when made, when last used (never a key)."""
    site = require_publisher(site_id)
    query_params(())
    used = get_store().key_use.all(site.id)
    return jsonify({"keys": [k.listed(used.get(k.name)) for k in site.keys]})


@bp.post("/keys")
@needs(Role.ADMIN)
def create_key(site_id: str) -> tuple[Response, int]:
    """Make a named key with a role; answer it, shown this once."""
    site = require_publisher(site_id)
    body: dict[str, Any] = json_body(max_bytes=MAX_BODY_BYTES, want_object=True)
    unknown = sorted(set(body) - {"name", "role"})
    if unknown:
        raise bad_request(f"unknown field {unknown[0][:40]!r}")
    try:
        key, api_key = get_sites().add_key(site.id, body.get("name"), body.get("role"))  # type: ignore[arg-type]
    except SiteError as exc:
        raise key_error(exc) from None
    record_key(site.id, "key.create", key)
    return jsonify({"name": key.name, "role": key.role, "key": api_key}), 201


@bp.delete("/keys/<name>")
@needs(Role.ADMIN)
def revoke_key(site_id: str, name: str) -> Response:
    """Revoke a key: it stops working at once, and its dashboard sessions end."""
    site = require_publisher(site_id)
    query_params(())
    try:
        key = get_sites().revoke_key(site.id, name)
    except SiteError as exc:
        raise key_error(exc) from None
    record_key(site.id, "key.revoke", key)
    return Response(status=204)


@bp.get("/audit")
@needs(Role.VIEWER)
def audit_log(site_id: str) -> Response:
    """Page through the site's audit log, newest first."""
    site = require_publisher(site_id)
    params = query_params({"limit", "cursor"})
    limit = int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    try:
        page = get_store().audit.page(site.id, limit, params.get("cursor") or None)
    except CursorError as exc:
        raise bad_request(str(exc)) from None
    return jsonify(
        {
            "entries": [entry_json(i, data) for i, data in page.entries],
            "next_cursor": page.next_cursor,
        }
    )
