"""The checks a setting's value passes, each with the JSON schema it promises.

A ``Check`` is what a setting's entry in ``site.py`` names as its type and check: one
function that takes a value sent by a door (the CLI, the API, the dashboard) and returns
the value to keep, or raises SettingsError naming the field, and the JSON schema of what
it accepts (the OpenAPI document's, generated from the entries). The simple ones are made
by ``text``, ``whole``, ``optional``, ``boolean`` and ``one_of``; the reaction set and
the origins have checks of their own.

Reaction keys are stable forever. Counts are stored per key, so relabelling, reordering,
retiring and restoring never move a count; a change may therefore never drop a key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ids import SiteError
from .origins import normalize_origin
from .reactions import Reaction

if TYPE_CHECKING:
    from .site import Site

REACTION_FIELDS = frozenset({"key", "label", "emoji", "labels", "retired"})
REACTION_KEY = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# The names of a site's own indexes and of an article's title: a reaction with one of
# them would share its index (``sort=total``, the summary's top list) with the service's.
RESERVED_KEYS = ("total", "recent", "title")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_ACTIVE = 9
MAX_REACTIONS = 32  # retired ones included: keys are never deleted, so the set only grows
MAX_LABEL_CHARS = 64
MAX_EMOJI_CHARS = 16  # room for a ZWJ sequence such as a family, not for a sentence
MAX_LANGUAGES = 50
MAX_LANGUAGE_TAG_CHARS = 35
MAX_ORIGINS = 50
SCHEMAS = "#/components/schemas/"


class SettingsError(SiteError):
    """A setting that cannot be accepted; ``field`` names it (``reactions[2].label``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Check:
    """A setting's check: ``run(field, value, site)`` returns the value to keep, or raises.

    ``schema`` is the JSON schema of the value as the settings show it, ``patch_schema``
    (when it differs) of what a change may send; ``choices`` the values and their labels
    for a setting that is one of a few.
    """

    run: Callable[[str, Any, Site], Any]
    schema: dict[str, Any]
    patch_schema: dict[str, Any] | None = None
    choices: Mapping[str, str] = field(default_factory=dict)

    @property
    def nullable(self) -> bool:
        """Return whether ``null`` is a value of the setting."""
        kind = self.schema.get("type")
        return isinstance(kind, list) and "null" in kind


def _text(field: str, value: Any, most: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(field, "must be a non-empty string")
    text: str = value.strip()
    if len(text) > most or _CONTROL.search(text):
        raise SettingsError(field, f"is at most {most} characters, without control characters")
    return text


def _whole(field: str, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SettingsError(field, f"must be a whole number from {low} to {high}")
    return value


def _boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(field, "must be true or false")
    return value


def text(most: int) -> Check:
    """Return the check of a text of 1 to ``most`` characters, trimmed, no control ones."""
    schema = {"type": "string", "minLength": 1, "maxLength": most}
    return Check(lambda name, value, site: _text(name, value, most), schema)


def whole(low: int, high: int) -> Check:
    """Return the check of a whole number from ``low`` to ``high``."""
    schema = {"type": "integer", "minimum": low, "maximum": high}
    return Check(lambda name, value, site: _whole(name, value, low, high), schema)


def optional(check: Check) -> Check:
    """Return ``check`` that also takes ``null``."""
    schema = {**check.schema, "type": [check.schema["type"], "null"]}

    def run(name: str, value: Any, site: Site) -> Any:
        return None if value is None else check.run(name, value, site)

    return Check(run, schema)


def boolean() -> Check:
    """Return the check of true or false."""
    return Check(lambda name, value, site: _boolean(name, value), {"type": "boolean"})


def one_of(choices: Mapping[str, str]) -> Check:
    """Return the check of one of the choices' values (their labels are the dashboard's)."""

    def run(name: str, value: Any, site: Site) -> str:
        if value not in choices:
            raise SettingsError(name, f"must be one of {', '.join(choices)}")
        return str(value)

    return Check(run, {"type": "string", "enum": list(choices)}, choices=choices)


def _labels(field: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) > MAX_LANGUAGES:
        raise SettingsError(field, f"must be an object of at most {MAX_LANGUAGES} labels")
    labels: dict[str, str] = {}
    seen: set[str] = set()
    for tag, label in value.items():
        if len(tag) > MAX_LANGUAGE_TAG_CHARS or not LANGUAGE_TAG.fullmatch(tag):
            raise SettingsError(field, f"{tag[:40]!r} is not a language tag such as pt or pt-BR")
        if tag.lower() in seen:
            raise SettingsError(field, f"{tag!r} is given twice")
        seen.add(tag.lower())
        labels[tag] = _text(f"{field}.{tag}", label, MAX_LABEL_CHARS)
    return labels


def _reaction(field: str, value: Any, old: Reaction | None) -> Reaction:
    if not isinstance(value, dict):
        raise SettingsError(field, "must be an object with a key")
    unknown = sorted(set(value) - REACTION_FIELDS)
    if unknown:
        raise SettingsError(f"{field}.{unknown[0][:40]}", "is not a field of a reaction")
    if old is None:
        for required in ("label", "emoji"):
            if required not in value:
                raise SettingsError(f"{field}.{required}", "is required for a new reaction")
        old = Reaction(value["key"], "", "")
    return Reaction(
        key=old.key,
        label=_text(f"{field}.label", value["label"], MAX_LABEL_CHARS)
        if "label" in value
        else old.label,
        emoji=_text(f"{field}.emoji", value["emoji"], MAX_EMOJI_CHARS)
        if "emoji" in value
        else old.emoji,
        labels=_labels(f"{field}.labels", value["labels"]) if "labels" in value else old.labels,
        retired=_boolean(f"{field}.retired", value["retired"])
        if "retired" in value
        else old.retired,
    )


def _reactions(name: str, value: Any, site: Site) -> tuple[Reaction, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_REACTIONS:
        raise SettingsError(name, f"must be a list of 1 to {MAX_REACTIONS} reactions")
    current = {r.key: r for r in site.reactions}
    reactions: list[Reaction] = []
    for i, item in enumerate(value):
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not REACTION_KEY.fullmatch(key):
            raise SettingsError(
                f"{name}[{i}].key", "must be 1-32 characters of a-z, 0-9, '_', '-', from a-z"
            )
        if key in RESERVED_KEYS:
            raise SettingsError(
                f"{name}[{i}].key",
                f"{key!r} is a name of the service's own ({', '.join(RESERVED_KEYS)})",
            )
        if any(r.key == key for r in reactions):
            raise SettingsError(f"{name}[{i}].key", f"{key!r} is listed twice")
        reactions.append(_reaction(f"{name}[{i}]", item, current.get(key)))
    kept = {r.key for r in reactions}
    missing = [key for key in current if key not in kept]
    if missing:
        raise SettingsError(
            name,
            f"{missing[0]!r} is left out: list every reaction (retire one with "
            '"retired": true; keys are never deleted)',
        )
    active = sum(not r.retired for r in reactions)
    if not 1 <= active <= MAX_ACTIVE:
        raise SettingsError(name, f"1 to {MAX_ACTIVE} reactions may be active at once")
    return tuple(reactions)


def _reaction_list(item: str, description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_REACTIONS,
        "items": {"$ref": SCHEMAS + item},
        "description": description,
    }


REACTIONS = Check(
    _reactions,
    _reaction_list(
        "SettingsReaction",
        "Every reaction of the set, retired ones included, in the site's order. "
        f"At most {MAX_ACTIVE} are active.",
    ),
    _reaction_list(
        "SettingsReactionPatch",
        "The whole set in its new order: leaving out a key that exists is 400 (retire it instead).",
    ),
)


def _origins(name: str, value: Any, site: Site) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_ORIGINS:
        raise SettingsError(name, f"must be a list of at most {MAX_ORIGINS} origins")
    origins = []
    for i, origin in enumerate(value):
        if not isinstance(origin, str):
            raise SettingsError(f"{name}[{i}]", "must be a string such as https://example.com")
        try:
            origins.append(normalize_origin(origin))
        except SiteError as exc:
            raise SettingsError(f"{name}[{i}]", str(exc)) from None
    return tuple(dict.fromkeys(origins))


ORIGINS = Check(
    _origins,
    {
        "type": "array",
        "maxItems": MAX_ORIGINS,
        "items": {"type": "string", "description": "scheme://host[:port]"},
    },
)
