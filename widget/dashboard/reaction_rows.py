"""The Settings form's widget for the reaction set: one row per reaction, and a new one.

Each row shows a reaction's position, emoji, label, labels in other languages and
retired flag; a position typed into a row moves it (the others keep their order around
it). A reaction added through the API or the CLI after the page was drawn has no row in
the post, and is kept as it is.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from ..sites import Setting, Site
from ..sites.settings import SettingsError
from .settings_form import Widget, whole_or_text

_FIELD_ROW = re.compile(r"\w+\[(\d+)\]\.(\w+)")


def _rows_of(site: Site) -> list[dict[str, Any]]:
    """Return the form's reaction rows for the site as it is."""
    return [
        {
            "key": r.key,
            "emoji": r.emoji,
            "label": r.label,
            "labels": "\n".join(f"{tag}: {text}" for tag, text in r.labels.items()),
            "retired": r.retired,
            "position": i + 1,
            "new": False,
        }
        for i, r in enumerate(site.reactions)
    ]


def _position(text: str, default: int) -> int:
    number = whole_or_text(text)
    return number if isinstance(number, int) else default


def _labels(text: str, field: str) -> dict[str, str]:
    labels = {}
    for line in text.splitlines():
        if line.strip():
            tag, sep, label = line.partition(":")
            if not sep:
                raise SettingsError(field, "write one language a line, as pt: Amei")
            labels[tag.strip()] = label.strip()
    return labels


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the rows in their new order: each moved row at the position typed for it,
    the others in their order around them."""
    moved = sorted(
        (r for i, r in enumerate(rows) if r["new"] or r["position"] != i + 1),
        key=lambda r: int(r["position"]),
    )
    staying = [r for i, r in enumerate(rows) if not r["new"] and r["position"] == i + 1]
    ordered: list[dict[str, Any]] = []
    while moved or staying:
        if moved and (not staying or moved[0]["position"] <= len(ordered) + 1):
            ordered.append(moved.pop(0))
        else:
            ordered.append(staying.pop(0))
    return ordered


def _prefix(row: dict[str, Any]) -> str:
    """Return the form names' prefix of a row: ``r-love`` (``r-love-label``), or ``new``."""
    return "new" if row["new"] else f"r-{row['key']}"


def _all_rows(typed: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the typed rows, the new one included when it has a key, in their new order."""
    rows = list(typed["rows"])
    if typed["new"]["key"]:
        rows.append({**typed["new"], "labels": "", "retired": False, "new": True})
    return _ordered(rows)


class ReactionRows(Widget):
    """The reaction set's rows; its value is ``{"rows": [...], "new": {...}}``."""

    def shown(self, setting: Setting, site: Site) -> Any:
        """Return the rows of the set as it is, and an empty new row at the end."""
        new = {"key": "", "emoji": "", "label": "", "position": len(site.reactions) + 1}
        return {"rows": _rows_of(site), "new": new}

    def typed(self, setting: Setting, site: Site, form: MultiDict[str, str]) -> Any:
        """Return the posted rows as typed, shaped as ``shown`` shapes the set's."""
        rows = []
        for i, row in enumerate(_rows_of(site)):
            p = _prefix(row)
            if f"{p}-shown" not in form:
                rows.append(row)  # added since the page was drawn: kept as it is
                continue
            rows.append(
                {
                    **row,
                    "emoji": form.get(f"{p}-emoji", ""),
                    "label": form.get(f"{p}-label", ""),
                    "labels": form.get(f"{p}-labels", ""),
                    "retired": f"{p}-retired" in form,
                    "position": _position(form.get(f"{p}-position", ""), i + 1),
                }
            )
        new: dict[str, Any] = {
            n: form.get(f"new-{n}", "").strip() for n in ("key", "emoji", "label")
        }
        new["position"] = _position(form.get("new-position", ""), len(rows) + 1)
        return {"rows": rows, "new": new}

    def patch(self, setting: Setting, typed: Any) -> Any:
        """Return the whole set in its new order, as a settings patch lists it."""
        reactions = []
        for row in _all_rows(typed):
            reaction = {"key": row["key"], "emoji": row["emoji"], "label": row["label"]}
            if not row["new"]:
                reaction["labels"] = _labels(row["labels"], f"{_prefix(row)}-labels")
                reaction["retired"] = row["retired"]
            reactions.append(reaction)
        return reactions

    def field_of(self, setting: Setting, error: SettingsError, typed: Any) -> str:
        """Return the row's field an error names: ``reactions[2].label`` is ``r-love-label``."""
        found = _FIELD_ROW.match(error.field)
        rows = _all_rows(typed)
        if found and int(found.group(1)) < len(rows):
            return f"{_prefix(rows[int(found.group(1))])}-{found.group(2)}"
        return super().field_of(setting, error, typed)
