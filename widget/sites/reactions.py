"""A site's reaction set: the Reaction (a stable key, its labels, its emoji) and the defaults.

The default set is declared once, here and in ``static/i18n/en.json``: each key and its
emoji in ``DEFAULT_EMOJI``, each English label in the language file (the one place for
English, which the widget shows too). ``scripts/build_embed`` writes both into the built
widget, and the tests and scripts import them from here. What a change to a site's set may
do (add, relabel, reorder, retire, restore; never drop a key) is checked in
``settings.py``, with every other setting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import static_dir


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


# The default set, in its order: each key and its emoji. Adding a default reaction: its key
# and emoji here, its English label in static/i18n/en.json, then scripts/build_embed
# (docs/development.md, "Add a default reaction").
DEFAULT_EMOJI: Mapping[str, str] = {
    "love": "😍",
    "like": "👍",
    "want": "🤩",
    "had": "😤",
    "hated": "😡",
}


def english() -> dict[str, str]:
    """Return static/i18n/en.json: the widget's English strings and the default labels."""
    strings: dict[str, str] = json.loads(
        (static_dir() / "i18n" / "en.json").read_text(encoding="utf-8")
    )
    return strings


def default_reactions(labels: Mapping[str, str]) -> tuple[Reaction, ...]:
    """Return the default set, labelled from the English strings; name a missing label."""
    if missing := [key for key in DEFAULT_EMOJI if key not in labels]:
        raise LookupError(f"static/i18n/en.json has no label for the default reactions {missing}")
    return tuple(Reaction(key, labels[key], emoji) for key, emoji in DEFAULT_EMOJI.items())


DEFAULT_REACTIONS = default_reactions(english())
DEFAULT_KEYS = tuple(DEFAULT_EMOJI)
