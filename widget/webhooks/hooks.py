"""A site's webhooks, made and deleted: the checks and the one way through for every door.

The publisher API (``api.py``) and the dashboard (``dashboard/webhook_views.py``) both call
``create`` and ``delete``, which check what was sent (``WebhookError`` names the field),
save through ``store.webhooks``, keep the site's milestones (``Site.milestones``: the
totals the reaction script watches for, the union over its webhooks) and record the change
in the audit log (never the secret).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..publisher import audit
from ..sites import Site, SiteRegistry
from ..store import Store
from .signing import new_secret
from .ssrf import UnsafeURL, resolve

MILESTONE = "article.milestone"
DIGEST = "digest.daily"
PING = "ping"
EVENTS = (MILESTONE, DIGEST)  # what a webhook may ask for; every webhook gets pings
DEFAULT_MILESTONES = (10, 100, 1000, 10000)
MAX_WEBHOOKS = 10
MAX_MILESTONES = 20
MAX_MILESTONE = 1_000_000_000
ID_PREFIX = "wh_"
FIELDS = ("url", "events", "milestones")
SHOWN = ("id", "url", "events", "milestones", "created_at")


class WebhookError(ValueError):
    """A webhook that cannot be made as asked; the message names the field."""


def _events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(e, str) for e in value):
        raise WebhookError(f"events must be a non-empty list of some of {', '.join(EVENTS)}")
    unknown = [e for e in value if e not in EVENTS]
    if unknown:
        known = ", ".join(EVENTS)
        raise WebhookError(f"events: unknown event {unknown[0][:40]!r} (known: {known})")
    return [e for e in EVENTS if e in value]


def _milestones(value: Any) -> list[int]:
    if (
        not isinstance(value, list)
        or not value
        or len(value) > MAX_MILESTONES
        or not all(type(m) is int and 1 <= m <= MAX_MILESTONE for m in value)
    ):
        raise WebhookError(
            f"milestones must be a list of 1 to {MAX_MILESTONES} whole numbers "
            f"from 1 to {MAX_MILESTONE:,}"
        )
    return sorted(set(value))


def check(body: Mapping[str, Any], allow_private: bool) -> dict[str, Any]:
    """Return a webhook's fields from a request body, checked; raise WebhookError."""
    unknown = [name for name in body if name not in FIELDS]
    if unknown:
        raise WebhookError(f"unknown field {unknown[0][:40]!r} (fields: {', '.join(FIELDS)})")
    url = body.get("url")
    try:
        resolve(url if isinstance(url, str) else "", allow_private)
    except UnsafeURL as exc:
        raise WebhookError(str(exc)) from None
    return {
        "url": url,
        "events": _events(body.get("events", list(EVENTS))),
        "milestones": _milestones(body.get("milestones", list(DEFAULT_MILESTONES))),
    }


def shown(hook: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return a webhook as the API lists it: never its secret."""
    return {"id": hook, **{name: record[name] for name in SHOWN[1:]}}


def _union(records: Mapping[str, Mapping[str, Any]]) -> tuple[int, ...]:
    wanted = (r["milestones"] for r in records.values() if MILESTONE in r["events"])
    return tuple(sorted({m for milestones in wanted for m in milestones}))


def create(
    store: Store, sites: SiteRegistry, site: Site, body: Mapping[str, Any], allow_private: bool
) -> dict[str, Any]:
    """Make a webhook; return it with its secret (shown this once)."""
    fields = check(body, allow_private)
    if len(store.webhooks.list(site.id)) >= MAX_WEBHOOKS:
        raise WebhookError(f"url: the site has {MAX_WEBHOOKS} webhooks, the most it may have")
    hook = ID_PREFIX + secrets.token_urlsafe(12)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record = {**fields, "secret": new_secret(), "created_at": created}
    if MILESTONE in fields["events"]:  # watched before the webhook exists: none is missed
        added = set(fields["milestones"])
        sites.change(
            site.id, lambda s: replace(s, milestones=tuple(sorted(added | {*s.milestones})))
        )
    if not store.webhooks.put(site.id, hook, record, most=MAX_WEBHOOKS):
        raise WebhookError(f"url: the site has {MAX_WEBHOOKS} webhooks, the most it may have")
    audit.record(site.id, "webhook.create", target=hook, after=fields)
    return {"id": hook, **fields, "secret": record["secret"]}


def delete(store: Store, sites: SiteRegistry, site: Site, hook: str) -> bool:
    """Delete a webhook and its deliveries; say whether it existed."""
    record = store.webhooks.get(site.id, hook)
    if record is None or not store.webhooks.delete(site.id, hook):
        return False
    store.webhook_queue.drop_webhook(hook)
    sites.change(site.id, lambda s: replace(s, milestones=_union(store.webhooks.list(s.id))))
    audit.record(site.id, "webhook.delete", target=hook, before={n: record[n] for n in FIELDS})
    return True


def is_id(hook: str) -> bool:
    """Say whether a text could be a webhook id (anything else is simply not found)."""
    return hook.startswith(ID_PREFIX) and len(hook) <= 40
