"""Sites: ids, names, allowed origins, API key digests, reaction sets and settings.

A site is a publisher's website. Its record lives in Redis (through the store) as JSON;
its settings are changed through ``widget/settings.py`` (the CLI, the publisher API and
the dashboard all call it). Only a digest of each API key is stored; the key itself is
shown once, when it is made. A record written before a setting existed loads with that
setting's default.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True)
class Reaction:
    """One button of the widget: a stable key, a label (and its translations), an emoji.

    A retired reaction keeps its key and counts but is gone from the widget.
    """

    key: str
    label: str
    emoji: str
    labels: Mapping[str, str] = field(default_factory=dict)
    retired: bool = False

    def as_json(self) -> dict[str, str]:
        """Return the reaction as the reader API shows it."""
        return {"key": self.key, "label": self.label, "emoji": self.emoji}

    def settings_json(self) -> dict[str, Any]:
        """Return the reaction as the settings (and the site record) hold it."""
        return {**self.as_json(), "labels": dict(self.labels), "retired": self.retired}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reaction:
        """Build a reaction from its settings JSON (old records lack labels and retired)."""
        return cls(
            key=data["key"],
            label=data["label"],
            emoji=data["emoji"],
            labels=dict(data.get("labels") or {}),
            retired=bool(data.get("retired", False)),
        )


DEFAULT_REACTIONS: tuple[Reaction, ...] = (
    Reaction("love", "Love It", "😍"),
    Reaction("like", "Like It", "👍"),
    Reaction("want", "Want It", "🤩"),
    Reaction("had", "Had It", "😤"),
    Reaction("hated", "Hated It", "😡"),
)

DEFAULT_KEYS = tuple(r.key for r in DEFAULT_REACTIONS)
VISIBILITIES = ("always", "after_reacting", "threshold", "publisher_only")
# What "threshold" means for a site that never set one: counts show from 10 reactions.
DEFAULT_VISIBILITY_THRESHOLD = 10

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


# The characters that IDNA 2003 (Python's "idna" codec) maps differently from the UTS 46
# processing of today's browsers ("straße" is "strasse" to the codec, "xn--strae-oqa" to
# a browser). Rather than store an origin no browser sends, such a name is refused.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


def _ascii_host(host: str, origin: str) -> str:
    """Return an international domain name as browsers send it in ``Origin`` (punycode)."""
    if _IDNA_DEVIATIONS.intersection(host):
        raise SiteError(
            f"{origin!r}: write this domain name in the xn-- form your browser shows for it"
        )
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise SiteError(f"{origin!r} is not a valid international domain name") from None


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
    elif not host.isascii():
        host = _ascii_host(host, origin)
    default_port = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


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
    # The random part of the signing secret, which is derived, never stored (articles.py).
    signing_nonce: str = ""
    loaded_at: float = field(default=0.0, compare=False)

    @property
    def reaction_keys(self) -> tuple[str, ...]:
        """Return the keys of every reaction, retired ones too, in order: what is stored."""
        return tuple(r.key for r in self.reactions)

    @property
    def active(self) -> tuple[Reaction, ...]:
        """Return the reactions that are not retired, in order: what readers see."""
        return tuple(r for r in self.reactions if not r.retired)

    @property
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
        api_key = new_api_key(site_id)
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

    def change(self, site_id: str, changed: Callable[[Site], Site]) -> Site:
        """Save what ``changed`` makes of the site's current record, and return it.

        ``changed`` raises (a SiteError) to refuse, and then nothing is saved. Other
        workers see the change once their cached copy is ``cache_seconds`` old.
        """
        updated = changed(self._require(site_id))
        self.store.save_site(site_id, updated.as_record())
        self._forget(site_id)
        return updated

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
