"""A site's settings: their JSON, their OpenAPI schemas, and the one function that changes them.

Each setting is declared once, as a field of ``Site`` (``site.py``); everything here walks
those entries. The CLI (``sites settings --set``), the publisher API (``PATCH .../settings``)
and the dashboard's Settings page all call ``update_settings``, so they accept and refuse
the same things with the same messages. A change is checked whole before anything is
saved: an invalid one raises SettingsError naming the field, and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..store import Store
from .checks import SettingsError
from .registry import SiteRegistry
from .site import SETTING_NAMES, SETTINGS, Site

__all__ = [
    "SettingsError",
    "apply_settings",
    "change_settings",
    "openapi_schemas",
    "settings_json",
    "update_settings",
]


def settings_json(site: Site) -> dict[str, Any]:
    """Return the site's settings as ``GET .../settings`` answers them."""
    return {"site": site.id, **site.as_json(SETTING_NAMES)}


def openapi_schemas() -> dict[str, dict[str, Any]]:
    """Return the OpenAPI document's ``Settings`` and ``SettingsPatch``, from the entries."""
    shown = {s.name: {"description": s.help, **s.check.schema} for s in SETTINGS}
    sent = {
        s.name: {"description": s.help, **(s.check.patch_schema or s.check.schema)}
        for s in SETTINGS
    }
    return {
        "Settings": {
            "type": "object",
            "additionalProperties": False,
            "required": ["site", *SETTING_NAMES],
            "properties": {"site": {"type": "string"}, **shown},
        },
        "SettingsPatch": {"type": "object", "additionalProperties": False, "properties": sent},
    }


def apply_settings(site: Site, patch: Any) -> Site:
    """Return the site with the patch's settings, or raise SettingsError and change nothing."""
    if not isinstance(patch, dict):
        raise SettingsError("body", "must be a JSON object of settings")
    unknown = sorted(set(patch) - set(SETTING_NAMES))
    if unknown:
        raise SettingsError(unknown[0][:40], f"is not a setting; the settings are {SETTING_NAMES}")
    changes = {
        s.name: s.check.run(s.name, patch[s.name], site) for s in SETTINGS if s.name in patch
    }
    updated = replace(site, **changes)
    # Keys new to the set, in the order they were added: the export's columns after the
    # contract's (publisher/export.py), which a later reordering must not move.
    added = tuple(k for k in updated.reaction_keys if k not in site.reaction_keys)
    return replace(updated, added_keys=site.added_keys + added) if added else updated


def update_settings(sites: SiteRegistry, store: Store, site_id: str, patch: Any) -> Site:
    """Check and save a settings change; the one door behind the CLI, the API, the dashboard."""
    return change_settings(sites, store, site_id, patch)[1]


def change_settings(
    sites: SiteRegistry, store: Store, site_id: str, patch: Any
) -> tuple[Site, Site]:
    """Check and save a settings change; return the site before and after it (the audit
    log's ``settings.update`` holds what differs)."""
    before, updated = sites.change_both(site_id, lambda site: apply_settings(site, patch))
    added = [key for key in updated.reaction_keys if key not in before.reaction_keys]
    if added:
        # Every article is in every index; a new reaction's index must list the old ones.
        store.indexes.add_reactions(site_id, added)
    return before, updated
