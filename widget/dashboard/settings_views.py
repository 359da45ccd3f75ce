"""The dashboard's Settings page.

The page is a plain form (no script): it turns what was posted into the same settings
patch the publisher API takes and hands it to ``settings.update_settings``, so the page,
the API and the CLI accept and refuse the same things. A refused change is shown again
as it was typed, with the error next to its field, and nothing is saved.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from ..context import get_sites, get_store
from ..sites import VISIBILITIES, Site
from ..sites.settings import SettingsError, update_settings
from .blueprint import bp
from .session import csrf_ok
from .views import signed_in

VISIBILITY_CHOICES = dict(
    zip(
        VISIBILITIES,
        (
            "Always",
            "Only to readers who have reacted",
            "Once an article has enough reactions",
            "Never to readers (only here and in the API)",
        ),
        strict=True,
    )
)
_FIELD_ROW = re.compile(r"reactions\[(\d+)\]\.(\w+)")


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


def _values_of(site: Site) -> dict[str, Any]:
    """Return the form's values for the site as it is."""
    return {
        "name": site.name,
        "origins": "\n".join(site.origins),
        "visibility": site.visibility,
        "visibility_threshold": site.visibility_threshold,
        "close_after_days": site.close_after_days or "",
        "signed_articles": site.signed_articles,
        "rows": _rows_of(site),
        "new": {"key": "", "emoji": "", "label": "", "position": len(site.reactions) + 1},
    }


def _number(text: str) -> Any:
    """Return a whole number typed in a field, else the text (for the checks to refuse)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else text


def _position(text: str, default: int) -> int:
    number = _number(text)
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


def _form_values(site: Site, form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the posted form's values, shaped as _values_of shapes the site's."""
    rows = []
    for i, row in enumerate(_rows_of(site)):
        key = row["key"]
        if f"r-{key}-shown" not in form:
            rows.append(row)  # added since the page was drawn: kept as it is
            continue
        rows.append(
            {
                **row,
                "emoji": form.get(f"r-{key}-emoji", ""),
                "label": form.get(f"r-{key}-label", ""),
                "labels": form.get(f"r-{key}-labels", ""),
                "retired": f"r-{key}-retired" in form,
                "position": _position(form.get(f"r-{key}-position", ""), i + 1),
            }
        )
    new: dict[str, Any] = {n: form.get(f"new-{n}", "").strip() for n in ("key", "emoji", "label")}
    new["position"] = _position(form.get("new-position", ""), len(rows) + 1)
    return {
        "name": form.get("name", ""),
        "origins": form.get("origins", ""),
        "visibility": form.get("visibility", ""),
        "visibility_threshold": form.get("visibility_threshold", ""),
        "close_after_days": form.get("close_after_days", ""),
        "signed_articles": "signed_articles" in form,
        "rows": rows,
        "new": new,
    }


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


def _patch_of(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Return the settings patch of the form's values, and the form name of each reaction."""
    rows = list(values["rows"])
    if values["new"]["key"]:
        rows.append({**values["new"], "labels": "", "retired": False, "new": True})
    reactions = []
    rows = _ordered(rows)
    for row in rows:
        prefix = "new" if row["new"] else f"r-{row['key']}"
        reaction = {"key": row["key"], "emoji": row["emoji"], "label": row["label"]}
        if not row["new"]:
            reaction["labels"] = _labels(row["labels"], f"{prefix}-labels")
            reaction["retired"] = row["retired"]
        reactions.append(reaction)
    close = values["close_after_days"]
    patch = {
        "name": values["name"],
        "origins": [line.strip() for line in values["origins"].splitlines() if line.strip()],
        "visibility": values["visibility"],
        "visibility_threshold": _number(str(values["visibility_threshold"])),
        "close_after_days": _number(close) if str(close).strip() else None,
        "signed_articles": values["signed_articles"],
        "reactions": reactions,
    }
    return patch, ["new" if row["new"] else f"r-{row['key']}" for row in rows]


def _form_field(error: SettingsError, prefixes: list[str]) -> str:
    """Return the form field that a settings error names (``r-love-label`` for a row's)."""
    found = _FIELD_ROW.match(error.field)
    if found and int(found.group(1)) < len(prefixes):
        return f"{prefixes[int(found.group(1))]}-{found.group(2)}"
    return error.field.partition("[")[0]


def _page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "dashboard/settings.html",
            values=values,
            errors=errors,
            choices=VISIBILITY_CHOICES,
            cache_seconds=current_app.config["SITE_CACHE_SECONDS"],
        ),
        status,
    )


@bp.get("/settings")
@signed_in
def settings_page() -> ResponseReturnValue:
    """Show the site's settings in a form."""
    site: Site = g.site
    return _page(_values_of(site), {})


@bp.post("/settings")
@signed_in
def save_settings() -> ResponseReturnValue:
    """Save the form's settings, or show it again with the error next to its field."""
    site: Site = g.site
    if not csrf_ok(request.form.get("csrf")):
        flash("The form had expired, so nothing was saved. Please try again.", "error")
        return redirect(url_for("dashboard.settings_page"))
    values = _form_values(site, request.form)
    prefixes: list[str] = []
    try:
        patch, prefixes = _patch_of(values)
        update_settings(get_sites(), get_store(), site.id, patch)
    except SettingsError as exc:
        field = _form_field(exc, prefixes)
        return _page(values, {field: str(exc).partition(": ")[2] or str(exc)}, 400)
    flash("Settings saved. Every widget shows them within a few seconds.", "info")
    return redirect(url_for("dashboard.settings_page"))
