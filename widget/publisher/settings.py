"""The publisher API's settings endpoints: ``GET`` and ``PATCH /v1/sites/{site}/settings``.

Routes of the publisher blueprint (same API key, same rate limit, same ``no-store``),
kept in their own module as the site's settings are a feature of their own. A PATCH goes
through ``sites.settings.change_settings``, as the CLI and the dashboard do: an invalid body is 400
``bad_request`` naming the field, and changes nothing.
"""

from __future__ import annotations

from flask import Response, jsonify

from ..bodies import json_body
from ..context import get_sites, get_store
from ..sites.settings import SettingsError, change_settings, settings_json
from ..validation import bad_request
from .audit import record_settings
from .auth import require_publisher
from .blueprint import bp
from .roles import Role, needs


@bp.get("/settings")
@needs(Role.VIEWER)
def get_settings(site_id: str) -> Response:
    """Return the site's settings, every reaction of its set included."""
    return jsonify(settings_json(require_publisher(site_id)))


@bp.patch("/settings")
@needs(Role.EDITOR)
def patch_settings(site_id: str) -> Response:
    """Change some of the site's settings and answer the new ones."""
    site = require_publisher(site_id)
    try:
        before, updated = change_settings(get_sites(), get_store(), site.id, json_body())
    except SettingsError as exc:
        raise bad_request(str(exc)) from None
    record_settings(before, updated)
    return jsonify(settings_json(updated))
