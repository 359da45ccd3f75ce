"""Accessors for the objects that create_app() makes once and keeps in app.extensions."""

from __future__ import annotations

from typing import cast

from flask import current_app

from .errors import ApiError
from .sites import Site, SiteRegistry
from .store import Store

STORE = "reactions.store"
SITES = "reactions.sites"
# Set when SECRET_KEY was not configured and create_app() made a random one.
RANDOM_SECRET_KEY = "reactions.random_secret_key"


def get_store() -> Store:
    """Return the app's one store."""
    return cast(Store, current_app.extensions[STORE])


def get_sites() -> SiteRegistry:
    """Return the app's site registry."""
    return cast(SiteRegistry, current_app.extensions[SITES])


def require_site(site_id: str) -> Site:
    """Return the site, or raise 404 unknown_site."""
    site = get_sites().get(site_id)
    if site is None:
        raise ApiError(404, "unknown_site", f"there is no site {site_id!r}")
    return site
