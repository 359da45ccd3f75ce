"""Site ids and API keys: what an id may be, the key that names its site, the digest kept.

``SiteError`` lives here, with the first rule a site must meet (its id); every other
refused site setting (an origin, a settings change) is a SiteError too.
"""

from __future__ import annotations

import hashlib
import re
import secrets

SITE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
API_KEY_PREFIX = "rk_"


class SiteError(ValueError):
    """A site setting that cannot be accepted, with a message for a person."""


def check_site_id(site_id: str) -> str:
    """Return the id if it is a valid site id, else raise SiteError."""
    if not SITE_ID.fullmatch(site_id):
        raise SiteError(
            f"{site_id!r} is not a site id: use 1-64 characters of a-z, 0-9 and '-', "
            "starting with a letter or digit"
        )
    return site_id


def new_api_key(site_id: str) -> str:
    """Return a fresh random API key (256 bits) that names its site: ``rk_<site>_<random>``.

    The site id in the key is no secret (site ids are public); it lets a refused key be
    told apart as another site's key (403) with one lookup of that site, instead of a
    walk over every site's digest.
    """
    return f"{API_KEY_PREFIX}{site_id}_{secrets.token_urlsafe(32)}"


def site_of_key(api_key: str) -> str | None:
    """Return the site id an API key names, or None (a key made before keys named one)."""
    if not api_key.startswith(API_KEY_PREFIX):
        return None
    # A site id has no "_", so the first one ends it (the random part may hold more).
    site_id, sep, _ = api_key[len(API_KEY_PREFIX) :].partition("_")
    return site_id if sep and SITE_ID.fullmatch(site_id) else None


def key_digest(api_key: str) -> str:
    """Return the stored digest of an API key.

    Keys are 256 random bits, so a fast hash is as safe as a slow one here.
    """
    return hashlib.sha256(api_key.encode()).hexdigest()
