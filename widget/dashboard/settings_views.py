"""The dashboard's Settings page: one form of every setting, drawn from their declarations.

The page is a plain form (no script). Each setting (``sites/site.py``) is shown in its
section by its widget (``settings_form.py``, ``reaction_rows.py``); what was posted
becomes the same settings patch the publisher API takes, handed to
``settings.change_settings``, so the page, the API and the CLI accept and refuse the same
things. A refused change is shown again as it was typed, with the error next to its
field, and nothing is saved.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..context import get_sites, get_store
from ..publisher.audit import record_settings
from ..publisher.roles import Role, needs
from ..sites import SETTINGS, Setting, Site
from ..sites.settings import SettingsError, change_settings
from .blueprint import bp
from .reaction_rows import ReactionRows
from .session import csrf_checked
from .settings_form import Checkbox, Lines, Number, Widget
from .views import signed_in

WIDGETS: dict[str, Widget] = {
    "text": Widget(),
    "lines": Lines(),
    "radio": Widget(),
    "number": Number(),
    "checkbox": Checkbox(),
    "reactions": ReactionRows(),
}
# A section holding one of these is a fieldset, its title the legend of the group.
GROUPED = frozenset({"radio", "reactions"})
# The page's sections in order; a section no entry names is not shown, a new one comes last.
SECTIONS: dict[str, list[Setting]] = {
    title: [] for title in ("Site", "Who sees the counts", "Closing", "Reactions")
}
for _setting in SETTINGS:
    SECTIONS.setdefault(_setting.section, []).append(_setting)


def _page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "dashboard/settings.html",
            sections=SECTIONS,
            grouped=GROUPED,
            values=values,
            errors=errors,
            cache_seconds=current_app.config["SITE_CACHE_SECONDS"],
        ),
        status,
    )


def _form_field(error: SettingsError, values: dict[str, Any]) -> str:
    """Return the form field next to which the error is shown."""
    name = re.match(r"\w*", error.field)
    for s in SETTINGS:
        if name and s.name == name.group():
            return WIDGETS[s.widget].field_of(s, error, values[s.name])
    return error.field.partition("[")[0]


@bp.get("/settings")
@needs(Role.VIEWER)
@signed_in
def settings_page() -> ResponseReturnValue:
    """Show the site's settings in a form."""
    site: Site = g.site
    return _page({s.name: WIDGETS[s.widget].shown(s, site) for s in SETTINGS}, {})


@bp.post("/settings")
@needs(Role.EDITOR)
@signed_in
@csrf_checked(
    "The form had expired, so nothing was saved. Please try again.", "dashboard.settings_page"
)
def save_settings() -> ResponseReturnValue:
    """Save the form's settings, or show it again with the error next to its field."""
    site: Site = g.site
    values = {s.name: WIDGETS[s.widget].typed(s, site, request.form) for s in SETTINGS}
    try:
        patch = {s.name: WIDGETS[s.widget].patch(s, values[s.name]) for s in SETTINGS}
        before, after = change_settings(get_sites(), get_store(), site.id, patch)
    except SettingsError as exc:
        field = _form_field(exc, values)
        return _page(values, {field: str(exc).partition(": ")[2] or str(exc)}, 400)
    record_settings(before, after)
    flash("Settings saved. Every widget shows them within a few seconds.", "info")
    return redirect(url_for("dashboard.settings_page"))
