"""The site registry: create, find, change and delete sites, with a per-worker cache.

A site is a publisher's website (``site.py``). Its record lives in Redis (through the
store) as JSON, made by ``Site.as_json`` and read back by ``Site.from_json``; its settings
are changed through ``settings.py`` (the CLI, the publisher API and the dashboard all call
it). Only a digest of each API key is stored; the key itself is shown once, when it is
made. A record written before a setting existed loads with that setting's default.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .api_keys import ADMIN, ApiKey, check_name, check_role, now_iso, with_key, without_key
from .ids import SITE_ID, SiteError, check_site_id, key_digest, new_api_key
from .origins import normalize_origin
from .site import Site

if TYPE_CHECKING:
    from ..store import Store


def _loaded(record: dict[str, Any]) -> Site:
    return Site.from_json(record, loaded_at=time.monotonic())


class SiteRegistry:
    """Create, find and change sites, with a short per-process cache for the hot path."""

    def __init__(self, store: Store, cache_seconds: float = 5.0) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self._cache: dict[str, Site | None] = {}
        self._cached_at: dict[str, float] = {}

    def get(self, site_id: str, *, fresh: bool = False) -> Site | None:
        """Return the site, or None when there is no such site.

        ``fresh`` reads the record now, not a cached copy (one GET): whoever checks a key
        asks for it, so a key revoked on one worker is refused by every worker at once.
        """
        if self.cache_seconds > 0 and not fresh:
            cached_at = self._cached_at.get(site_id)
            if cached_at is not None and time.monotonic() - cached_at < self.cache_seconds:
                return self._cache[site_id]
        if not SITE_ID.fullmatch(site_id):
            return None
        record = self.store.sites.load(site_id)
        site = _loaded(record) if record else None
        if self.cache_seconds > 0:
            if len(self._cache) > 10_000:  # a flood of unknown ids must not grow memory
                self._cache.clear()
                self._cached_at.clear()
            self._cache[site_id] = site
            self._cached_at[site_id] = time.monotonic()
        return site

    def all(self) -> list[Site]:
        """Return every site, by id."""
        return [_loaded(r) for r in self.store.sites.load_all()]

    def create(self, site_id: str, name: str, origins: list[str]) -> tuple[Site, str]:
        """Create a site and return it with its API key, which is not stored."""
        check_site_id(site_id)
        api_key = new_api_key(site_id)
        created_at = now_iso()
        site = Site(
            id=site_id,
            name=name,
            origins=tuple(dict.fromkeys(normalize_origin(o) for o in origins)),
            keys=(ApiKey(ADMIN, ADMIN, key_digest(api_key), created_at),),
            created_at=created_at,
        )
        if not self.store.sites.create(site_id, site.as_json()):
            raise SiteError(f"site {site_id!r} exists already")
        self._forget(site_id)
        return site, api_key

    def change(self, site_id: str, changed: Callable[[Site], Site]) -> Site:
        """Save what ``changed`` makes of the site's current record, and return it.

        ``changed`` raises (a SiteError) to refuse, and then nothing is saved. It is
        called again if another change landed first (two at once both land), so it must
        only compute. Other workers see the change once their cached copy is
        ``cache_seconds`` old.
        """
        saved = self.store.sites.change(
            site_id, lambda record: changed(Site.from_json(record)).as_json()
        )
        self._forget(site_id)
        if saved is None:
            raise SiteError(f"there is no site {site_id!r}")
        return _loaded(saved)

    def change_both(self, site_id: str, changed: Callable[[Site], Site]) -> tuple[Site, Site]:
        """Change the site as ``change`` does; return the record before and after it."""
        before: list[Site] = []

        def apply(site: Site) -> Site:
            before[:] = [site]  # called again if another change landed first: the last read
            return changed(site)

        after = self.change(site_id, apply)
        return before[0], after

    def set_origins(self, site_id: str, origins: list[str]) -> Site:
        """Replace the site's allowed origins (none: any origin may embed it)."""
        return self.change_origins(site_id, origins)[1]

    def change_origins(self, site_id: str, origins: list[str]) -> tuple[Site, Site]:
        """Replace the site's allowed origins; return the site before and after."""
        normalized = tuple(dict.fromkeys(normalize_origin(o) for o in origins))
        return self.change_both(site_id, lambda site: replace(site, origins=normalized))

    def rotate_key(self, site_id: str) -> str:
        """Give the site a new ``admin`` key named ``admin`` and return it.

        The old key of that name stops working and its dashboard sessions end; a site with
        no key of that name (it was revoked, or a restored copy holds none) gets one.
        """
        api_key = new_api_key(site_id)
        new = ApiKey(ADMIN, ADMIN, key_digest(api_key), now_iso())

        def rotated(site: Site) -> Site:
            rest = tuple(k for k in site.keys if k.name != ADMIN)
            return replace(site, keys=(new, *rest))

        self.change(site_id, rotated)
        self.store.sessions.end_of_key(site_id, ADMIN)
        return api_key

    def add_key(self, site_id: str, name: str, role: str) -> tuple[ApiKey, str]:
        """Make a named key with a role; return it and the key itself (shown this once)."""
        check_name(name)
        check_role(role)
        api_key = new_api_key(site_id)
        new = ApiKey(name, role, key_digest(api_key), now_iso())
        self.change(site_id, lambda site: replace(site, keys=with_key(site.keys, new)))
        return new, api_key

    def revoke_key(self, site_id: str, name: str) -> ApiKey:
        """Revoke a named key: it stops working at once and its dashboard sessions end."""
        revoked: list[ApiKey] = []

        def without(site: Site) -> Site:
            rest, found = without_key(site.keys, name)
            revoked[:] = [found]
            return replace(site, keys=rest)

        self.change(site_id, without)
        self.store.sessions.end_of_key(site_id, name)
        self.store.key_use.forget(site_id, name)
        return revoked[0]

    def rotate_signing_nonce(self, site_id: str) -> Site:
        """Give the site a new signing nonce (so a new signing secret); return the site."""
        nonce = secrets.token_urlsafe(24)
        return self.change(site_id, lambda site: replace(site, signing_nonce=nonce))

    def delete(self, site_id: str, done: Callable[[int], None] | None = None) -> None:
        """Delete the site and every count, reader and history of its articles.

        ``done(n)`` is told of each batch of n articles deleted (a progress bar's).
        """
        site = self.require(site_id)
        self.store.sites.delete(site.id, site.reaction_keys, done)
        self._forget(site_id)
        if self.cache_seconds > 0:
            # Another worker's cached copy of the site may accept writes until it expires:
            # sweep once more after that, so the id starts empty if created again.
            time.sleep(self.cache_seconds)
            self.store.sites.sweep(site.id)

    def require(self, site_id: str) -> Site:
        """Return the site as stored now (not a cached copy), or raise "there is no site"."""
        self._forget(site_id)
        site = self.get(site_id)
        if site is None:
            raise SiteError(f"there is no site {site_id!r}")
        return site

    def _forget(self, site_id: str) -> None:
        self._cache.pop(site_id, None)
        self._cached_at.pop(site_id, None)
