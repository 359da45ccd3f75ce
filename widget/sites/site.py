"""The Site, and the one declaration of each publisher setting.

A setting is a field of ``Site`` made with ``setting(...)``: its name and type, its
default (what a record written before it existed loads with), its check (``checks.py``,
which also gives its JSON schema), its help text, the dashboard's label, hint, section
and form widget, and the role that may change it. Every door reads these entries:

- the site record (``Site.as_json``/``Site.from_json``, which ``registry.py`` stores);
- the settings JSON and a change to it (``settings.py``: ``GET``/``PATCH .../settings``);
- the CLI (``sites settings``, ``sites show``), through the same two;
- the dashboard's Settings form (``dashboard/settings_form.py``, by widget kind);
- the OpenAPI document's ``Settings`` and ``SettingsPatch`` (``settings.openapi_schemas``).

A new setting is one ``setting(...)`` field here, plus the code that enforces it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from .api_keys import ROLES, ApiKey, dump_keys, load_keys, upgraded
from .checks import ORIGINS, REACTIONS, Check, boolean, one_of, optional, text, whole
from .ids import key_digest
from .reactions import DEFAULT_KEYS, DEFAULT_REACTIONS, Reaction

__all__ = ["ROLES", "SETTINGS", "Setting", "Site"]  # ROLES: who may change a setting
VISIBILITY_CHOICES = {
    "always": "Always",
    "after_reacting": "Only to readers who have reacted",
    "threshold": "Once an article has enough reactions",
    "publisher_only": "Never to readers (only here and in the API)",
}
VISIBILITIES = tuple(VISIBILITY_CHOICES)
# What "threshold" means for a site that never set one: counts show from 10 reactions.
DEFAULT_VISIBILITY_THRESHOLD = 10
MAX_NAME_CHARS = 100
MAX_THRESHOLD = 1_000_000
MAX_CLOSE_AFTER_DAYS = 36_500


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, kw_only=True)
class Stored:
    """How a field of the site record is written as JSON (``dump``) and read back."""

    dump: Callable[[Any], Any] = _same
    load: Callable[[Any], Any] = _same


@dataclass(frozen=True, kw_only=True)
class Setting(Stored):
    """One publisher setting, as ``setting()`` declares it; ``name`` is its field's."""

    check: Check
    help: str
    label: str
    section: str
    widget: str
    hint: str = ""
    role: str = "editor"
    name: str = ""


def _field(default: Any, spec: Stored) -> Any:
    return field(default=default, metadata={"stored": spec})


def setting(default: Any, check: Check, **spec: Any) -> Any:
    """Declare a setting: a field of Site with its default, check, texts and form widget."""
    return _field(default, Setting(check=check, **spec))


def stored(default: Any, **spec: Any) -> Any:
    """Declare a field of the site record that is no setting (a key digest, a nonce)."""
    return _field(default, Stored(**spec))


def _reactions_of(data: list[dict[str, Any]]) -> tuple[Reaction, ...]:
    return tuple(Reaction.from_json(r) for r in data) or DEFAULT_REACTIONS


@dataclass(frozen=True)
class Site:
    """A publisher's website as the service knows it: its record, settings first."""

    id: str
    name: str = setting(
        "",  # the site id (__post_init__)
        text(MAX_NAME_CHARS),
        help="The site's name, for people (the dashboard's header).",
        label="Name",
        section="Site",
        widget="text",
    )
    origins: tuple[str, ...] = setting(
        (),
        ORIGINS,
        dump=list,
        load=tuple,
        help="The pages that may embed the widget and POST reactions; none: any page.",
        label="Allowed origins",
        hint="One a line, such as https://example.com. The widget may be embedded only on "
        "these; with none, on any page.",
        section="Site",
        widget="lines",
    )
    reactions: tuple[Reaction, ...] = setting(
        DEFAULT_REACTIONS,
        REACTIONS,
        dump=lambda value: [r.settings_json() for r in value],
        load=_reactions_of,
        help="The reaction set, retired reactions included, in the widget's order.",
        label="Reactions",
        hint="Keys never change. Renaming, reordering, retiring and restoring never move a "
        "count. A retired reaction is gone from the widget; its counts stay here. At most 9 "
        "may be active.",
        section="Reactions",
        widget="reactions",
    )
    visibility: str = setting(
        "always",
        one_of(VISIBILITY_CHOICES),
        help="Who sees an article's counts.",
        label="Who sees the counts",
        section="Who sees the counts",
        widget="radio",
    )
    visibility_threshold: int = setting(
        DEFAULT_VISIBILITY_THRESHOLD,
        whole(1, MAX_THRESHOLD),
        help="The total an article needs before its counts show, under threshold.",
        label="Enough reactions to show counts",
        section="Who sees the counts",
        widget="number",
    )
    close_after_days: int | None = setting(
        None,
        optional(whole(1, MAX_CLOSE_AFTER_DAYS)),
        help="Close voting on an article this many days after its first counted "
        "reaction; null: never.",
        label="Close voting this many days after an article's first reaction",
        hint="Empty: never. You can also close or reopen one article on its page.",
        section="Closing",
        widget="number",
    )
    signed_articles: bool = setting(
        False,
        boolean(),
        load=bool,
        help="Whether new articles must be signed.",
        label="New articles must be signed",
        section="Closing",
        widget="checkbox",
    )
    # The site's named keys, each a digest with a name and a role (api_keys.py).
    keys: tuple[ApiKey, ...] = stored((), dump=dump_keys, load=load_keys)
    created_at: str = stored("")
    # Keys added to the default set, in the order they were added: the export's extra
    # columns, which must not move when the publisher reorders the set.
    added_keys: tuple[str, ...] = stored((), dump=list, load=tuple)
    # The random part of the signing secret, which is derived, never stored (signing.py).
    signing_nonce: str = stored("")
    # The totals that are milestones of the site's webhooks (widget/webhooks keeps it).
    milestones: tuple[int, ...] = stored((), dump=list, load=tuple)
    loaded_at: float = field(default=0.0, compare=False)

    def __post_init__(self) -> None:
        if not self.name:  # a site's name is its id until the publisher gives one
            object.__setattr__(self, "name", self.id)

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
        """Return whether the API key is one of this site's keys."""
        return self.find_key(api_key) is not None

    def find_key(self, api_key: str) -> ApiKey | None:
        """Return the site's key that this API key is, or None."""
        return self.key_of_digest(key_digest(api_key))

    def key_of_digest(self, digest: str) -> ApiKey | None:
        """Return the site's key of this digest, compared in constant time with each one."""
        found = None
        for key in self.keys:
            if hmac.compare_digest(digest, key.digest):
                found = key
        return found

    def key_named(self, name: str) -> ApiKey | None:
        """Return the site's key of this name, or None."""
        return next((k for k in self.keys if k.name == name), None)

    def as_json(self, names: Iterable[str] = ()) -> dict[str, Any]:
        """Return the named fields as JSON (every field of the record without names).

        The one way a site becomes a dict: the record the store keeps, the settings
        (``settings.settings_json``) and the CLI's description are each some of its names.
        """
        wanted = tuple(names) or RECORD
        return {name: STORED[name].dump(getattr(self, name)) for name in wanted}

    @classmethod
    def from_json(cls, record: dict[str, Any], **extra: Any) -> Site:
        """Build a site from its record; a field the record lacks takes its default."""
        kept = {n: STORED[n].load(record[n]) for n in RECORD if n != "id" and n in record}
        old = upgraded(record)  # a record from before named keys: its key is "admin"
        if old is not None:
            kept["keys"] = old
        return cls(id=record["id"], **kept, **extra)


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(**{**vars(f.metadata["stored"]), "name": f.name})
    for f in fields(Site)
    if isinstance(f.metadata.get("stored"), Setting)
)
SETTING_NAMES = tuple(s.name for s in SETTINGS)
STORED: dict[str, Stored] = {
    f.name: f.metadata.get("stored", Stored()) for f in fields(Site) if f.compare
}
RECORD = tuple(STORED)
# What the CLI's ``sites show`` prints: the site's id, its settings, when it was made.
DESCRIBED = ("id", *SETTING_NAMES, "created_at")
