"""A site's settings: their JSON shape, and the one function that checks and applies a change.

The CLI (``sites settings --set``), the publisher API (``PATCH .../settings``) and the
dashboard's Settings page all call ``update_settings``, so they accept and refuse the
same things with the same messages. A change is checked whole before anything is saved:
an invalid one raises SettingsError naming the field, and changes nothing.

Reaction keys are stable forever. Counts are stored per key, so relabelling, reordering,
retiring and restoring never move a count; a change may therefore never drop a key.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ..store import Store
from .ids import SiteError
from .origins import normalize_origin
from .reactions import Reaction
from .registry import VISIBILITIES, Site, SiteRegistry

FIELDS = (
    "name",
    "origins",
    "reactions",
    "visibility",
    "visibility_threshold",
    "close_after_days",
    "signed_articles",
)
REACTION_FIELDS = frozenset({"key", "label", "emoji", "labels", "retired"})
REACTION_KEY = re.compile(r"[a-z][a-z0-9_-]{0,31}")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_ACTIVE = 9
MAX_REACTIONS = 32  # retired ones included: keys are never deleted, so the set only grows
MAX_NAME_CHARS = 100
MAX_LABEL_CHARS = 64
MAX_EMOJI_CHARS = 16  # room for a ZWJ sequence such as a family, not for a sentence
MAX_LANGUAGES = 50
MAX_LANGUAGE_TAG_CHARS = 35
MAX_ORIGINS = 50
MAX_THRESHOLD = 1_000_000
MAX_CLOSE_AFTER_DAYS = 36_500


class SettingsError(SiteError):
    """A setting that cannot be accepted; ``field`` names it (``reactions[2].label``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def settings_json(site: Site) -> dict[str, Any]:
    """Return the site's settings as ``GET .../settings`` answers them."""
    return {
        "site": site.id,
        "name": site.name,
        "origins": list(site.origins),
        "reactions": [r.settings_json() for r in site.reactions],
        "visibility": site.visibility,
        "visibility_threshold": site.visibility_threshold,
        "close_after_days": site.close_after_days,
        "signed_articles": site.signed_articles,
    }


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


def _reactions(site: Site, value: Any) -> dict[str, Any]:
    if not isinstance(value, list) or not value or len(value) > MAX_REACTIONS:
        raise SettingsError("reactions", f"must be a list of 1 to {MAX_REACTIONS} reactions")
    current = {r.key: r for r in site.reactions}
    reactions: list[Reaction] = []
    for i, item in enumerate(value):
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not REACTION_KEY.fullmatch(key):
            raise SettingsError(
                f"reactions[{i}].key", "must be 1-32 characters of a-z, 0-9, '_', '-', from a-z"
            )
        if any(r.key == key for r in reactions):
            raise SettingsError(f"reactions[{i}].key", f"{key!r} is listed twice")
        reactions.append(_reaction(f"reactions[{i}]", item, current.get(key)))
    kept = {r.key for r in reactions}
    missing = [key for key in current if key not in kept]
    if missing:
        raise SettingsError(
            "reactions",
            f"{missing[0]!r} is left out: list every reaction (retire one with "
            '"retired": true; keys are never deleted)',
        )
    active = sum(not r.retired for r in reactions)
    if not 1 <= active <= MAX_ACTIVE:
        raise SettingsError("reactions", f"1 to {MAX_ACTIVE} reactions may be active at once")
    added = tuple(r.key for r in reactions if r.key not in current)
    return {"reactions": tuple(reactions), "added_keys": site.added_keys + added}


def _origins(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_ORIGINS:
        raise SettingsError("origins", f"must be a list of at most {MAX_ORIGINS} origins")
    origins = []
    for i, origin in enumerate(value):
        if not isinstance(origin, str):
            raise SettingsError(f"origins[{i}]", "must be a string such as https://example.com")
        try:
            origins.append(normalize_origin(origin))
        except SiteError as exc:
            raise SettingsError(f"origins[{i}]", str(exc)) from None
    return tuple(dict.fromkeys(origins))


def _visibility(value: Any) -> str:
    if value not in VISIBILITIES:
        raise SettingsError("visibility", f"must be one of {', '.join(VISIBILITIES)}")
    return str(value)


def _close_after_days(value: Any) -> int | None:
    if value is None:
        return None
    return _whole("close_after_days", value, 1, MAX_CLOSE_AFTER_DAYS)


def apply_settings(site: Site, patch: Any) -> Site:
    """Return the site with the patch's settings, or raise SettingsError and change nothing."""
    if not isinstance(patch, dict):
        raise SettingsError("body", "must be a JSON object of settings")
    unknown = sorted(set(patch) - set(FIELDS))
    if unknown:
        raise SettingsError(unknown[0][:40], f"is not a setting; the settings are {FIELDS}")
    changes: dict[str, Any] = {}
    if "name" in patch:
        changes["name"] = _text("name", patch["name"], MAX_NAME_CHARS)
    if "origins" in patch:
        changes["origins"] = _origins(patch["origins"])
    if "reactions" in patch:
        changes.update(_reactions(site, patch["reactions"]))
    if "visibility" in patch:
        changes["visibility"] = _visibility(patch["visibility"])
    if "visibility_threshold" in patch:
        changes["visibility_threshold"] = _whole(
            "visibility_threshold", patch["visibility_threshold"], 1, MAX_THRESHOLD
        )
    if "close_after_days" in patch:
        changes["close_after_days"] = _close_after_days(patch["close_after_days"])
    if "signed_articles" in patch:
        changes["signed_articles"] = _boolean("signed_articles", patch["signed_articles"])
    return replace(site, **changes)


def update_settings(sites: SiteRegistry, store: Store, site_id: str, patch: Any) -> Site:
    """Check and save a settings change; the one door behind the CLI, the API, the dashboard."""
    before: set[str] = set()

    def changed(site: Site) -> Site:
        before.clear()  # called again when another change landed first: the last read counts
        before.update(site.reaction_keys)
        return apply_settings(site, patch)

    updated = sites.change(site_id, changed)
    added = [key for key in updated.reaction_keys if key not in before]
    if added:
        # Every article is in every index; a new reaction's index must list the old ones.
        store.indexes.add_reactions(site_id, added)
    return updated
