"""Sites: ids, names, allowed origins, API key digests and reaction sets.

A site is a publisher's website. Its settings live in Redis (through the store) and are
managed with the ``flask --app widget sites`` commands. Only a digest of each API key
is stored; the key itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True)
class Reaction:
    """One button of the widget: a stable key, a label and an emoji."""

    key: str
    label: str
    emoji: str

    def as_json(self) -> dict[str, str]:
        """Return the reaction as the API shows it."""
        return {"key": self.key, "label": self.label, "emoji": self.emoji}


DEFAULT_REACTIONS: tuple[Reaction, ...] = (
    Reaction("love", "Love It", "😍"),
    Reaction("like", "Like It", "👍"),
    Reaction("want", "Want It", "🤩"),
    Reaction("had", "Had It", "😤"),
    Reaction("hated", "Hated It", "😡"),
)

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


def normalize_origin(origin: str) -> str:
    """Return ``scheme://host[:port]`` for an http(s) origin, else raise SiteError."""
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise SiteError(
            f"{origin!r} is not an origin: use scheme://host[:port], such as https://example.com"
        )
    try:
        port = parts.port
    except ValueError:
        raise SiteError(f"{origin!r} has a bad port") from None
    host = parts.hostname
    if ":" in host:  # an IPv6 literal keeps its brackets in an origin
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


def new_api_key() -> str:
    """Return a fresh random API key (256 bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(api_key: str) -> str:
    """Return the stored digest of an API key.

    Keys are 256 random bits, so a fast hash is as safe as a slow one here.
    """
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class Site:
    """A publisher's website as the service knows it."""

    id: str
    name: str
    origins: tuple[str, ...] = ()
    key_digest: str = ""
    reactions: tuple[Reaction, ...] = DEFAULT_REACTIONS
    created_at: str = ""
    # A POST that would count an article's first reaction must be signed (articles.py).
    signed_articles: bool = False
    # The random part of the signing secret, which is derived, never stored (articles.py).
    signing_nonce: str = ""
    loaded_at: float = field(default=0.0, compare=False)

    @property
    def reaction_keys(self) -> tuple[str, ...]:
        """Return the keys of the site's reactions, in order."""
        return tuple(r.key for r in self.reactions)

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
            "reactions": [r.as_json() for r in self.reactions],
            "created_at": self.created_at,
            "signed_articles": self.signed_articles,
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
            reactions=tuple(Reaction(**r) for r in record.get("reactions", ()))
            or DEFAULT_REACTIONS,
            created_at=record.get("created_at", ""),
            signed_articles=bool(record.get("signed_articles", False)),
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
        record = self.store.load_site(site_id)
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
        return [Site.from_record(r) for r in self.store.load_sites()]

    def create(self, site_id: str, name: str, origins: list[str]) -> tuple[Site, str]:
        """Create a site and return it with its API key, which is not stored."""
        check_site_id(site_id)
        api_key = new_api_key()
        site = Site(
            id=site_id,
            name=name or site_id,
            origins=tuple(dict.fromkeys(normalize_origin(o) for o in origins)),
            key_digest=key_digest(api_key),
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        if not self.store.create_site(site_id, site.as_record()):
            raise SiteError(f"site {site_id!r} exists already")
        self._forget(site_id)
        return site, api_key

    def set_origins(self, site_id: str, origins: list[str]) -> Site:
        """Replace the site's allowed origins (none: any origin may embed it)."""
        site = self._require(site_id)
        normalized = tuple(dict.fromkeys(normalize_origin(o) for o in origins))
        updated = Site(**{**site.__dict__, "origins": normalized})
        self.store.save_site(site_id, updated.as_record())
        self._forget(site_id)
        return updated

    def rotate_key(self, site_id: str) -> str:
        """Give the site a new API key and return it; the old key stops working."""
        site = self._require(site_id)
        api_key = new_api_key()
        updated = Site(**{**site.__dict__, "key_digest": key_digest(api_key)})
        self.store.save_site(site_id, updated.as_record())
        self._forget(site_id)
        return api_key

    def rotate_signing_nonce(self, site_id: str) -> Site:
        """Give the site a new signing nonce (so a new signing secret); return the site."""
        site = self._require(site_id)
        updated = Site(**{**site.__dict__, "signing_nonce": secrets.token_urlsafe(24)})
        self.store.save_site(site_id, updated.as_record())
        self._forget(site_id)
        return updated

    def delete(self, site_id: str) -> None:
        """Delete the site and every count, reader and history of its articles."""
        site = self._require(site_id)
        self.store.delete_site(site.id, site.reaction_keys)
        self._forget(site_id)
        if self.cache_seconds > 0:
            # Another worker's cached copy of the site may accept writes until it expires:
            # sweep once more after that, so the id starts empty if created again.
            time.sleep(self.cache_seconds)
            self.store.sweep_site(site.id)

    def _require(self, site_id: str) -> Site:
        self._forget(site_id)
        site = self.get(site_id)
        if site is None:
            raise SiteError(f"there is no site {site_id!r}")
        return site

    def _forget(self, site_id: str) -> None:
        self._cache.pop(site_id, None)
        self._cached_at.pop(site_id, None)
