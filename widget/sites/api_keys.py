"""A site's named API keys: each has a name, a role and the digest of the key (never the key).

The keys live inside the site record (``Site.keys``), so one read of the record answers
who a key is, and a copy of the record (a backup) carries them. A key names its site
(``ids.new_api_key``), so a wrong key costs one lookup. ``sites create`` makes an
``admin`` key named ``admin``; a record from before named keys held one digest
(``key_digest``), which loads as that key (``upgraded``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from .ids import SiteError

# The roles of API.md's keys, each allowed what the one before it is, and more.
ROLES = ("viewer", "editor", "admin")
ADMIN = "admin"
KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# Bounds the record (one read per publisher request): a newsroom's staff, not a crowd.
MAX_KEYS = 100


class KeyConflict(SiteError):
    """A key change that contradicts the site's keys: a name in use, the last admin key."""


class UnknownKey(SiteError):
    """A key name that the site has no key of."""


def now_iso() -> str:
    """Return the time now as API.md writes times."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class ApiKey:
    """One named key of a site, as its record keeps it: the digest, never the key."""

    name: str
    role: str
    digest: str
    created_at: str = ""

    def as_json(self) -> dict[str, str]:
        """Return the key as the site record stores it."""
        return {
            "name": self.name,
            "role": self.role,
            "digest": self.digest,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApiKey:
        """Build a key from its stored form."""
        return cls(
            str(data["name"]), str(data["role"]), str(data["digest"]), data.get("created_at", "")
        )

    def listed(self, last_used_at: str | None) -> dict[str, Any]:
        """Return the key as ``GET .../keys`` lists it: no key, no digest."""
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "last_used_at": last_used_at,
        }


def dump_keys(value: tuple[ApiKey, ...]) -> list[dict[str, str]]:
    """Return the keys as the record stores them."""
    return [k.as_json() for k in value]


def load_keys(data: list[dict[str, Any]]) -> tuple[ApiKey, ...]:
    """Return the keys of a record."""
    return tuple(ApiKey.from_json(k) for k in data)


def upgraded(record: dict[str, Any]) -> tuple[ApiKey, ...] | None:
    """Return the keys of a record made before named keys (its one digest: ``admin``)."""
    if "keys" in record or not record.get("key_digest"):
        return None
    return (ApiKey(ADMIN, ADMIN, str(record["key_digest"]), str(record.get("created_at", ""))),)


def check_name(name: Any) -> str:
    """Return a valid key name, or raise SiteError."""
    if not isinstance(name, str) or not KEY_NAME.fullmatch(name):
        raise SiteError(
            "name must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-', "
            "starting with a letter or digit"
        )
    return name


def check_role(role: Any) -> str:
    """Return a valid role, or raise SiteError."""
    if role not in ROLES:
        raise SiteError(f"role must be one of {', '.join(ROLES)}")
    return str(role)


def with_key(keys: tuple[ApiKey, ...], new: ApiKey) -> tuple[ApiKey, ...]:
    """Return the keys with a new one, or raise KeyConflict (name in use, too many keys)."""
    if any(k.name == new.name for k in keys):
        raise KeyConflict(f"there is a key named {new.name!r} already")
    if len(keys) >= MAX_KEYS:
        raise KeyConflict(f"a site holds at most {MAX_KEYS} keys; revoke one first")
    return (*keys, new)


def without_key(keys: tuple[ApiKey, ...], name: str) -> tuple[tuple[ApiKey, ...], ApiKey]:
    """Return the keys without the named one and that key; refuse the last admin key."""
    found = next((k for k in keys if k.name == name), None)
    if found is None:
        raise UnknownKey(f"there is no key named {name[:64]!r}")
    rest = tuple(k for k in keys if k.name != name)
    if found.role == ADMIN and not any(k.role == ADMIN for k in rest):
        raise KeyConflict("this is the site's last admin key: make another admin key first")
    return rest, found
