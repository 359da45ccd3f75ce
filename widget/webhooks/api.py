"""The publisher API's webhooks: ``/v1/sites/{site}/webhooks[/{id}[/test|/deliveries]]``.

Routes of the publisher blueprint (its key check, rate limit, ``no-store`` and threat
model: ``publisher/blueprint.py``). Making, deleting and pinging a webhook needs an admin
key; listing webhooks and their deliveries, a viewer's. A secret is in the answer to the
POST that made it and nowhere else.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify

from .. import config
from ..bodies import json_body
from ..context import get_sites, get_store
from ..errors import ApiError
from ..publisher.api import int_param
from ..publisher.auth import require_publisher
from ..publisher.blueprint import bp, query_params
from ..publisher.roles import Role, needs
from ..validation import bad_request
from . import hooks
from .events import queue_ping

DEFAULT_DELIVERIES = 20
MAX_BODY_BYTES = 16 * 1024
MAX_DELIVERIES = 100
DELIVERY_FIELDS = ("id", "type", "status", "attempts", "last_status", "last_error",
                   "next_attempt_at", "created_at")  # fmt: skip


def _not_found(hook: str) -> ApiError:
    return ApiError(404, "not_found", f"there is no webhook {hook[:40]!r}")


def _require_hook(site_id: str, hook: str) -> None:
    if not hooks.is_id(hook) or get_store().webhooks.get(site_id, hook) is None:
        raise _not_found(hook)


@bp.post("/webhooks")
@needs(Role.ADMIN)
def create_webhook(site_id: str) -> tuple[Response, int]:
    """Make a webhook; its secret is in this answer only."""
    site = require_publisher(site_id)
    body = json_body(max_bytes=MAX_BODY_BYTES, want_object=True)
    allow_private = bool(current_app.config[config.WEBHOOK_ALLOW_PRIVATE])
    try:
        made = hooks.create(get_store(), get_sites(), site, body, allow_private)
    except hooks.WebhookError as exc:
        raise bad_request(str(exc)) from None
    return jsonify(made), 201


@bp.get("/webhooks")
@needs(Role.VIEWER)
def list_webhooks(site_id: str) -> Response:
    """List the site's webhooks, without their secrets."""
    site = require_publisher(site_id)
    records = get_store().webhooks.list(site.id)
    return jsonify({"webhooks": [hooks.shown(i, r) for i, r in records.items()]})


@bp.delete("/webhooks/<hook>")
@needs(Role.ADMIN)
def delete_webhook(site_id: str, hook: str) -> Response:
    """Delete a webhook: nothing more is sent to it."""
    site = require_publisher(site_id)
    if not hooks.is_id(hook) or not hooks.delete(get_store(), get_sites(), site, hook):
        raise _not_found(hook)
    return Response(status=204)


@bp.post("/webhooks/<hook>/test")
@needs(Role.ADMIN)
def test_webhook(site_id: str, hook: str) -> Response:
    """Queue a ping for the webhook."""
    site = require_publisher(site_id)
    _require_hook(site.id, hook)
    queue_ping(get_store(), site.id, hook)
    return Response(status=202)


@bp.get("/webhooks/<hook>/deliveries")
@needs(Role.VIEWER)
def list_deliveries(site_id: str, hook: str) -> Response:
    """List a webhook's last deliveries, newest first."""
    site = require_publisher(site_id)
    params = query_params({"limit"})
    limit = int_param(params, "limit", DEFAULT_DELIVERIES, 1, MAX_DELIVERIES)
    _require_hook(site.id, hook)
    return jsonify({"deliveries": [shown(d) for d in get_store().webhook_queue.log(hook, limit)]})


def shown(record: dict[str, str]) -> dict[str, object]:
    """Return a delivery as the API lists it."""
    answer: dict[str, object] = {name: record.get(name) or None for name in DELIVERY_FIELDS}
    answer["attempts"] = int(record.get("attempts") or 0)
    last = record.get("last_status")
    answer["last_status"] = int(last) if last else None
    return answer
