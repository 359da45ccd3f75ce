"""The Settings form's widgets: how a setting of each kind is shown, read back and sent.

A setting's entry (``sites/site.py``) names its widget kind; ``settings_views.WIDGETS``
maps each kind to one of these (the reaction set's is ``reaction_rows.py``), and the
template ``settings.html`` has one macro per kind. A widget gives the form's value for the
site as it is (``shown``), the posted value as typed, to show again after a refusal
(``typed``), the settings patch's value (``patch``), and the form field next to which an
error is shown (``field_of``).
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from ..sites import Setting, Site
from ..sites.settings import SettingsError

# More digits than any setting's bound: such a number is left as text, which the setting's
# check refuses (int() of more than 4,300 digits would raise instead).
MAX_DIGITS = 18


def whole_or_text(text: str) -> Any:
    """Return a whole number typed in a field, else the text (for the checks to refuse)."""
    text = text.strip()
    digits = text.lstrip("0") or "0"
    if text.isascii() and text.isdigit() and len(digits) <= MAX_DIGITS:
        return int(digits)
    return text


class Widget:
    """A text field: the value as it is, sent as typed (the setting's check trims it)."""

    def shown(self, setting: Setting, site: Site) -> Any:
        """Return the form's value of the setting for the site as it is."""
        return getattr(site, setting.name)

    def typed(self, setting: Setting, site: Site, form: MultiDict[str, str]) -> Any:
        """Return the posted value as typed."""
        return form.get(setting.name, "")

    def patch(self, setting: Setting, typed: Any) -> Any:
        """Return the value that the settings patch sends."""
        return typed

    def field_of(self, setting: Setting, error: SettingsError, typed: Any) -> str:
        """Return the form field that the error names (``origins[2]`` is ``origins``)."""
        return error.field.partition("[")[0]


class Lines(Widget):
    """A list of texts, one a line; blank lines are dropped."""

    def shown(self, setting: Setting, site: Site) -> Any:
        """Return the values, one a line."""
        return "\n".join(getattr(site, setting.name))

    def patch(self, setting: Setting, typed: Any) -> Any:
        """Return the lines that hold something, trimmed."""
        return [line.strip() for line in str(typed).splitlines() if line.strip()]


class Number(Widget):
    """A whole number; left empty, ``null`` where the setting takes it."""

    def shown(self, setting: Setting, site: Site) -> Any:
        """Return the number, or nothing for ``null``."""
        value = getattr(site, setting.name)
        return "" if value is None else value

    def patch(self, setting: Setting, typed: Any) -> Any:
        """Return the number typed (else the text, which its check refuses), or ``null``."""
        if setting.check.nullable and not str(typed).strip():
            return None
        return whole_or_text(str(typed))


class Checkbox(Widget):
    """True or false: whether the box is ticked."""

    def typed(self, setting: Setting, site: Site, form: MultiDict[str, str]) -> Any:
        """Return whether the box was ticked."""
        return setting.name in form
