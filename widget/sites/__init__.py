"""Sites: a publisher's website, its record, settings and signing secret.

The Site and the one declaration of each setting (``site.py``, with their checks in
``checks.py``), the registry (``registry.py``) and its parts: ids and API keys
(``ids.py``), origins (``origins.py``), the reaction set (``reactions.py``); the one
function that changes a site's settings (``settings.py``) and the signed articles'
secret (``signing.py``). The names that whatever deals with sites as a whole needs are
exported here.
"""

from __future__ import annotations

from .ids import (
    API_KEY_PREFIX,
    SITE_ID,
    SiteError,
    check_site_id,
    key_digest,
    new_api_key,
    site_of_key,
)
from .origins import normalize_origin
from .reactions import DEFAULT_KEYS, DEFAULT_REACTIONS, Reaction
from .registry import SiteRegistry
from .site import DEFAULT_VISIBILITY_THRESHOLD, SETTINGS, VISIBILITIES, Setting, Site

__all__ = [
    "API_KEY_PREFIX",
    "DEFAULT_KEYS",
    "DEFAULT_REACTIONS",
    "DEFAULT_VISIBILITY_THRESHOLD",
    "SETTINGS",
    "SITE_ID",
    "VISIBILITIES",
    "Reaction",
    "Setting",
    "Site",
    "SiteError",
    "SiteRegistry",
    "check_site_id",
    "key_digest",
    "new_api_key",
    "normalize_origin",
    "site_of_key",
]
