"""Sites: the Site record (name, origins, key digest, reaction set, settings) and the registry.

A site is a publisher's website. Its record lives in Redis (through the store) as JSON;
its settings are changed through ``settings.py`` (the CLI, the publisher API and
the dashboard all call it). Only a digest of each API key is stored; the key itself is
shown once, when it is made. A record written before a setting existed loads with that
setting's default.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .ids import (
    SITE_ID,
    SiteError,
    check_site_id,
    key_digest,
    new_api_key,
)
from .origins import normalize_origin
from .reactions import DEFAULT_KEYS, DEFAULT_REACTIONS, Reaction

if TYPE_CHECKING:
    from ..store import Store


VISIBILITIES = ("always", "after_reacting", "threshold", "publisher_only")
# What "threshold" means for a site that never set one: counts show from 10 reactions.
DEFAULT_VISIBILITY_THRESHOLD = 10


@dataclass(frozen=True)
class Site:
    """A publisher's website as the service knows it."""

    id: str
    name: str
    origins: tuple[str, ...] = ()
    key_digest: str = ""
    reactions: tuple[Reaction, ...] = DEFAULT_REACTIONS
    created_at: str = ""
    visibility: str = "always"
    visibility_threshold: int = DEFAULT_VISIBILITY_THRESHOLD
    close_after_days: int | None = None
    signed_articles: bool = False
    # Keys added to the default set, in the order they were added: the export's extra
    # columns, which must not move when the publisher reorders the set.
    added_keys: tuple[str, ...] = ()
    # The random part of the signing secret, which is derived, never stored (signing.py).
    signing_nonce: str = ""
    loaded_at: float = field(default=0.0, compare=False)

    @cached_property
    def reaction_keys(self) -> tuple[str, ...]:
        """Return the keys of every reaction, retired ones too, in order: what is stored."""
        return tuple(r.key for r in self.reactions)

    @cached_property
    def active(self) -> tuple[Reaction, ...]:
        """Return the reactions that are not retired, in order: what readers see."""
        return tuple(r for r in self.reactions if not r.retired)

    @cached_property
    def active_keys(self) -> tuple[str, ...]:
        """Return the keys of the active reactions, in order."""
        return tuple(r.key for r in self.reactions if not r.retired)

    @property
    def export_keys(self) -> tuple[str, ...]:
        """Return the keys in the export's column order: the defaults, then added ones."""
        first = [k for k in (*DEFAULT_KEYS, *self.added_keys) if k in self.reaction_keys]
        return tuple(dict.fromkeys([*first, *self.reaction_keys]))

    def allows_origin(self, origin: str) -> bool:
        """Return whether a browser page of this origin may use the reader API."""
        return not self.origins or origin in self.origins

    def check_key(self, api_key: str) -> bool:
        """Return whether the API key is this site's, compared in constant time."""
        return bool(self.key_digest) and hmac.compare_digest(key_digest(api_key), self.key_digest)

    def as_record(self) -> dict[str, Any]:
        """Return the site as the store keeps it."""
        return {
            "id": self.id,
            "name": self.name,
            "origins": list(self.origins),
            "key_digest": self.key_digest,
            "reactions": [r.settings_json() for r in self.reactions],
            "created_at": self.created_at,
            "visibility": self.visibility,
            "visibility_threshold": self.visibility_threshold,
            "close_after_days": self.close_after_days,
            "signed_articles": self.signed_articles,
            "added_keys": list(self.added_keys),
            "signing_nonce": self.signing_nonce,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Site:
        """Build a site from what the store kept."""
        return cls(
            id=record["id"],
            name=record.get("name", record["id"]),
            origins=tuple(record.get("origins", ())),
            key_digest=record.get("key_digest", ""),
            reactions=tuple(Reaction.from_json(r) for r in record.get("reactions", ()))
            or DEFAULT_REACTIONS,
            created_at=record.get("created_at", ""),
            visibility=record.get("visibility", "always"),
            visibility_threshold=record.get("visibility_threshold", DEFAULT_VISIBILITY_THRESHOLD),
            close_after_days=record.get("close_after_days"),
            signed_articles=bool(record.get("signed_articles", False)),
            added_keys=tuple(record.get("added_keys", ())),
            signing_nonce=record.get("signing_nonce", ""),
            loaded_at=time.monotonic(),
        )


class SiteRegistry:
    """Create, find and change sites, with a short per-process cache for the hot path."""

    def __init__(self, store: Store, cache_seconds: float = 5.0) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self._cache: dict[str, Site | None] = {}
        self._cached_at: dict[str, float] = {}

    def get(self, site_id: str) -> Site | None:
        """Return the site, or None when there is no such site."""
        if self.cache_seconds > 0:
            cached_at = self._cached_at.get(site_id)
            if cached_at is not None and time.monotonic() - cached_at < self.cache_seconds:
                return self._cache[site_id]
        if not SITE_ID.fullmatch(site_id):
            return None
        record = self.store.sites.load(site_id)
        site = Site.from_record(record) if record else None
        if self.cache_seconds > 0:
            if len(self._cache) > 10_000:  # a flood of unknown ids must not grow memory
                self._cache.clear()
                self._cached_at.clear()
            self._cache[site_id] = site
            self._cached_at[site_id] = time.monotonic()
        return site

    def all(self) -> list[Site]:
        """Return every site, by id."""
        return [Site.from_record(r) for r in self.store.sites.load_all()]

    def create(self, site_id: str, name: str, origins: list[str]) -> tuple[Site, str]:
        """Create a site and return it with its API key, which is not stored."""
        check_site_id(site_id)
        api_key = new_api_key(site_id)
        site = Site(
            id=site_id,
            name=name or site_id,
            origins=tuple(dict.fromkeys(normalize_origin(o) for o in origins)),
            key_digest=key_digest(api_key),
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        if not self.store.sites.create(site_id, site.as_record()):
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
            site_id, lambda record: changed(Site.from_record(record)).as_record()
        )
        self._forget(site_id)
        if saved is None:
            raise SiteError(f"there is no site {site_id!r}")
        return Site.from_record(saved)

    def set_origins(self, site_id: str, origins: list[str]) -> Site:
        """Replace the site's allowed origins (none: any origin may embed it)."""
        normalized = tuple(dict.fromkeys(normalize_origin(o) for o in origins))
        return self.change(site_id, lambda site: replace(site, origins=normalized))

    def rotate_key(self, site_id: str) -> str:
        """Give the site a new API key and return it; the old key stops working."""
        api_key = new_api_key(site_id)
        self.change(site_id, lambda site: replace(site, key_digest=key_digest(api_key)))
        return api_key

    def rotate_signing_nonce(self, site_id: str) -> Site:
        """Give the site a new signing nonce (so a new signing secret); return the site."""
        nonce = secrets.token_urlsafe(24)
        return self.change(site_id, lambda site: replace(site, signing_nonce=nonce))

    def delete(self, site_id: str) -> None:
        """Delete the site and every count, reader and history of its articles."""
        site = self._require(site_id)
        self.store.sites.delete(site.id, site.reaction_keys)
        self._forget(site_id)
        if self.cache_seconds > 0:
            # Another worker's cached copy of the site may accept writes until it expires:
            # sweep once more after that, so the id starts empty if created again.
            time.sleep(self.cache_seconds)
            self.store.sites.sweep(site.id)

    def _require(self, site_id: str) -> Site:
        self._forget(site_id)
        site = self.get(site_id)
        if site is None:
            raise SiteError(f"there is no site {site_id!r}")
        return site

    def _forget(self, site_id: str) -> None:
        self._cache.pop(site_id, None)
        self._cached_at.pop(site_id, None)
