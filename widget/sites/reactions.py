"""A site's reaction set: the Reaction (a stable key, its labels, its emoji) and the defaults.

What a change to the set may do (add, relabel, reorder, retire, restore; never drop a
key) is checked in ``settings.py``, with every other setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
