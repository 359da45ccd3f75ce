"""Who may read a site's tallies: a bearer API key, or a dashboard session made with one.

Only digests of API keys are stored (``widget/sites.py``), and each is compared in
constant time. A key that is not the site's is told apart as "another site's key" (403)
from "no key of ours" (401) by comparing its digest with every site's. That walk runs
only on the failure path, reads one set and one MGET, and is behind the publisher rate
limit; the alternative, a digest -> site index in Redis, would be one more key that
site creation, rotation and deletion must keep in step, for no gain on the success path.
"""

from __future__ import annotations

import hmac

from flask import request

from .context import get_sites, require_site
from .errors import ApiError
from .sites import Site

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
    return any(s.id != site_id and s.check_key(api_key) for s in get_sites().all())


def require_publisher(site_id: str) -> Site:
    """Return the site if the request carries its API key; else raise 404, 401 or 403."""
    site = require_site(site_id)
    api_key = bearer_key()
    if api_key is None:
        raise ApiError(
            401, "unauthorized", "send the site's API key: Authorization: Bearer <key>", CHALLENGE
        )
    if site.check_key(api_key):
        return site
    if key_belongs_elsewhere(api_key, site.id):
        raise ApiError(403, "forbidden", f"this API key is not a key of site {site.id!r}")
    headers = {"WWW-Authenticate": 'Bearer realm="reactions", error="invalid_token"'}
    raise ApiError(401, "unauthorized", "the API key is wrong or was rotated", headers)


def session_matches(site: Site, digest: str) -> bool:
    """Return whether a dashboard session's key digest is still the site's current one."""
    return bool(site.key_digest) and hmac.compare_digest(digest, site.key_digest)
