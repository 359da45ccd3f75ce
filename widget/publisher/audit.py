"""The one place every change a publisher makes is recorded (the audit log).

Every door that changes a site (the publisher API, the dashboard, the command line) calls
``record`` once per change it made, after it made it, with the fields that changed before
and after: never a key, a secret or a digest. A refused or empty change records nothing.
The actor is the request's (``current_actor``: the name of the key that
``auth.require_publisher`` or the dashboard's session accepted), or ``cli`` outside a request.

The entries live in the store's per-site stream (``store/audit_log.py``); ``entry_json``
is an entry as ``GET .../audit`` and the dashboard's Activity page show it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from flask import g, has_request_context

from ..context import get_store
from ..sites import SETTINGS, Site
from ..sites.api_keys import ApiKey
from ..store import ArticleRecord

CLI = "cli"
# A logged field's value longer than this (as JSON) is logged as its size only: every
# entry stays small, so the log's memory is bounded (store/audit_log.py, docs/keys.md).
MAX_VALUE_CHARS = 2_000
# The actions API.md names, and the two of the command line's own (a secret's rotation
# is recorded without the secret).
ACTIONS = (
    "settings.update",
    "article.update",
    "article.reset",
    "article.move",
    "key.create",
    "key.revoke",
    "key.rotate",
    "signing_secret.rotate",
    "webhook.create",
    "webhook.delete",
    "import",
    "restore",
)


def set_actor(name: str) -> None:
    """Name who the current request acts as (the accepted key's name)."""
    g.audit_actor = name


def current_actor() -> str:
    """Return who is making the current change: the request's key name, or ``cli``."""
    if has_request_context():
        return str(g.get("audit_actor") or "unknown")
    return CLI


def record(
    site_id: str,
    action: str,
    target: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Record one change of a site by ``current_actor()``: what (a dotted action such as
    ``settings.update``), on what, and the fields that changed (a value longer than
    ``MAX_VALUE_CHARS`` as JSON is logged as its size only: docs/keys.md)."""
    entry = {
        "actor": current_actor(),
        "action": action,
        "target": target,
        "before": _fields(before),
        "after": _fields(after),
    }
    get_store().audit.add(site_id, entry)


def _fields(fields: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the fields to log, each value bounded (``MAX_VALUE_CHARS``)."""
    return None if fields is None else {name: _bounded(v) for name, v in fields.items()}


def _bounded(value: Any) -> Any:
    """Return a logged value, or a note of its size when it is too long to keep."""
    size = len(json.dumps(value, ensure_ascii=False))
    return value if size <= MAX_VALUE_CHARS else {"omitted_chars": size}


def _reaction_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> tuple[Any, Any]:
    """Return the reactions that differ (whole, by key), and the order if it changed."""
    old_by, new_by = {r["key"]: r for r in old}, {r["key"]: r for r in new}
    keys = list(dict.fromkeys([*new_by, *old_by]))
    before = [old_by[k] for k in keys if k in old_by and old_by[k] != new_by.get(k)]
    after = [new_by[k] for k in keys if k in new_by and new_by[k] != old_by.get(k)]
    old_order, new_order = [k for k in old_by if k in new_by], [k for k in new_by if k in old_by]
    if old_order != new_order:
        return {"changed": before, "order": list(old_by)}, {"changed": after, "order": list(new_by)}
    return before, after


def record_settings(before: Site, after: Site) -> None:
    """Record a settings change: the settings that differ, before and after (none: nothing).

    Of the reaction set, only the reactions that changed are logged (and the order, when
    it changed), so that an entry stays small.
    """
    names = [s.name for s in SETTINGS]
    old, new = before.as_json(names), after.as_json(names)
    changed = [n for n in names if old[n] != new[n]]
    if not changed:
        return
    was = {n: old[n] for n in changed}
    now = {n: new[n] for n in changed}
    if "reactions" in changed:
        was["reactions"], now["reactions"] = _reaction_changes(old["reactions"], new["reactions"])
    record(after.id, "settings.update", None, was, now)


def entry_json(entry_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a stored entry as ``GET .../audit`` lists it (``at`` is its stream id's time)."""
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(entry_id.partition("-")[0]) / 1000))
    return {
        "at": at,
        "actor": data.get("actor"),
        "action": data.get("action"),
        "target": data.get("target"),
        "before": data.get("before"),
        "after": data.get("after"),
    }


def article_changes(
    was: ArticleRecord, changes: Mapping[str, str | None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the article fields a change alters, before and after (``closed`` as a bool)."""
    old = {"title": was.title, "url": was.url, "closed": was.closed}
    new = {name: (value == "1") if name == "closed" else value for name, value in changes.items()}
    changed = [n for n in new if n in old and new[n] != old[n]]
    return {n: old[n] for n in changed}, {n: new[n] for n in changed}


def record_article(site_id: str, was: ArticleRecord, changes: Mapping[str, str | None]) -> None:
    """Record an article's change of title, URL or closing (nothing, if nothing differs)."""
    before, after = article_changes(was, changes)
    if before or after:
        record(site_id, "article.update", was.article, before, after)


def record_reset(site_id: str, was: ArticleRecord) -> None:
    """Record an article's reset: the counts it had."""
    record(site_id, "article.reset", was.article, {"counts": was.counts, "total": was.total})


def record_key(site_id: str, action: str, key: ApiKey) -> None:
    """Record a key made (``key.create``) or revoked (``key.revoke``): its name and role,
    never the key or its digest."""
    shown = {"name": key.name, "role": key.role}
    made = action == "key.create"
    record(site_id, action, key.name, None if made else shown, shown if made else None)
