"""Who may read a site's tallies: a bearer API key, or a dashboard session made with one.

Only digests of API keys are stored (``widget/sites/ids.py``), and each is compared in
constant time. A key that is not the site's is told apart as "another site's key" (403)
from "no key of ours" (401) by the site id that every key names (``rk_<site>_...``): one
lookup of that site's record, whatever the number of sites, so a flood of wrong keys
cannot make each request read every site. A key made before keys named their site is
still its own site's key; used on another site, it is a plain 401.
"""

from __future__ import annotations

import hmac

from flask import current_app, request

from ..context import get_sites, require_site
from ..errors import ApiError
from ..sites import Site
from ..sites.ids import site_of_key
from .audit import set_actor
from .roles import Role, declared_role

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="reactions"'}


def bearer_key() -> str | None:
    """Return the API key of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def key_belongs_elsewhere(api_key: str, site_id: str) -> bool:
    """Return whether the key is a valid key of some other site."""
    owner = site_of_key(api_key)
    if owner is None or owner == site_id:
        return False
    site = get_sites().get(owner)
    return site is not None and site.check_key(api_key)


def require_publisher(site_id: str) -> Site:
    """Return the site if the request carries its API key; else raise 404, 401 or 403."""
    site = require_site(site_id)
    api_key = bearer_key()
    if api_key is None:
        raise ApiError(
            401, "unauthorized", "send the site's API key: Authorization: Bearer <key>", CHALLENGE
        )
    if site.check_key(api_key):
        check_role(Role.ADMIN)  # the site's one key is its admin key
        set_actor("admin")
        return site
    if key_belongs_elsewhere(api_key, site.id):
        raise ApiError(403, "forbidden", f"this API key is not a key of site {site.id!r}")
    headers = {"WWW-Authenticate": 'Bearer realm="reactions", error="invalid_token"'}
    raise ApiError(401, "unauthorized", "the API key is wrong or was rotated", headers)


def check_role(held: Role) -> None:
    """Raise 403 forbidden unless the role held is enough for the route being served."""
    needed = declared_role(current_app.view_functions.get(request.endpoint or ""))
    if needed is None:  # fail closed: a route that declared no role serves no key
        raise ApiError(403, "forbidden", "this endpoint declares no role; no key may call it")
    if held < needed:
        raise ApiError(403, "forbidden", f"this needs a key with the role {needed.label!r}")


def session_matches(site: Site, digest: str) -> bool:
    """Return whether a dashboard session's key digest is still the site's current one."""
    return bool(site.key_digest) and hmac.compare_digest(digest, site.key_digest)
