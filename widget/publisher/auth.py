"""Who may read or change a site: a bearer API key, or a dashboard session made with one.

A site has named keys, each with a role (``sites/api_keys.py``); only their digests are
stored, each compared in constant time. A key that is not the site's is told apart as
"another site's key" (403) from "no key of ours" (401) by the site id that every key
names (``rk_<site>_...``): one lookup of that site's record, whatever the number of
sites, so a flood of wrong keys cannot make each request read every site. A key made
before keys named their site is still its own site's key; used on another site, it is a
plain 401.

A key is checked against the site record as stored now (one GET, not the per-worker
cache): a revoked key is refused by every worker on its next request. Its role must be
enough for the route's declared role (``roles.py``), else 403 ``forbidden`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from ..context import get_sites, get_store
from ..errors import ApiError
from ..sites import Site
from ..sites.api_keys import ApiKey, now_iso
from ..sites.ids import site_of_key
from .audit import set_actor
from .roles import Role, declared_role

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="reactions"'}


@dataclass(frozen=True)
class Publisher:
    """Whom a request acts as: the site, the key's name, and its role."""

    site: Site
    name: str
    role: Role


def role_of(key: ApiKey) -> Role:
    """Return a key's role (an unknown stored role reads as the least)."""
    return Role.__members__.get(key.role.upper(), Role.VIEWER)


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
    site = get_sites().get(owner, fresh=True)
    return site is not None and site.check_key(api_key)


def require_publisher(site_id: str) -> Site:
    """Return the site if the request carries a key of it with the role the route needs;
    else raise 404, 401 or 403."""
    return require_key(site_id).site


def require_key(site_id: str) -> Publisher:
    """Return who the request acts as (site, key name, role); else raise 404, 401 or 403."""
    site = get_sites().get(site_id, fresh=True)  # now, not cached: revocation takes at once
    if site is None:
        raise ApiError(404, "unknown_site", f"there is no site {site_id!r}")
    api_key = bearer_key()
    if api_key is None:
        raise ApiError(
            401, "unauthorized", "send the site's API key: Authorization: Bearer <key>", CHALLENGE
        )
    key = site.find_key(api_key)
    if key is not None:
        role = role_of(key)
        check_role(role)
        set_actor(key.name)
        get_store().key_use.touch(site.id, key.name, now_iso())
        return Publisher(site, key.name, role)
    if key_belongs_elsewhere(api_key, site.id):
        raise ApiError(403, "forbidden", f"this API key is not a key of site {site.id!r}")
    headers = {"WWW-Authenticate": 'Bearer realm="reactions", error="invalid_token"'}
    raise ApiError(401, "unauthorized", "the API key is wrong, was rotated or revoked", headers)


def needed_role() -> Role | None:
    """Return the role that the route being served declared, or None."""
    return declared_role(current_app.view_functions.get(request.endpoint or ""))


def check_role(held: Role) -> None:
    """Raise 403 forbidden unless the role held is enough for the route being served."""
    needed = needed_role()
    if needed is None:  # fail closed: a route that declared no role serves no key
        raise ApiError(403, "forbidden", "this endpoint declares no role; no key may call it")
    if held < needed:
        raise ApiError(
            403,
            "forbidden",
            f"this needs a key with the role {needed.label!r}; this key is a {held.label!r}",
        )


def session_key(site: Site, digest: str) -> ApiKey | None:
    """Return the key a dashboard session signed in with, while the site still has it."""
    return site.key_of_digest(digest) if digest else None
