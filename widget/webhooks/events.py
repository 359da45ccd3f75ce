"""The events: their payloads, the daily digest's numbers, and the fan-out to webhooks.

An event waits in the stream (``store.webhook_queue``) as its type, site, time and data
(JSON). ``article.milestone`` is queued by the reaction's own Redis call (the store's
``set_reaction``); ``digest.daily`` by the worker soon after each UTC midnight, or by
``webhooks digest``; ``ping`` by ``POST .../webhooks/{id}/test``. The worker's fan-out
makes one delivery per webhook that wants the event, with a ``webhook-id`` that the event
and the webhook decide alone (``signing.delivery_id``), so an event read twice (its first
reader killed) makes no second delivery.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..sites import Site
from ..store import Store, article_hash, day_name
from ..store.events import add_event
from .hooks import DIGEST, MILESTONE, PING
from .signing import delivery_id

TOP = 5


def now_iso(epoch: float | None = None) -> str:
    """Return a time as ISO 8601 UTC with milliseconds (the payload's ``timestamp``)."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def body(type_: str, at: str, data: Any) -> str:
    """Return a delivery's JSON body: ``{"type", "timestamp", "data"}``."""
    return json.dumps({"type": type_, "timestamp": at, "data": data}, ensure_ascii=False)


def queue_ping(store: Store, site: str, hook: str) -> str:
    """Queue a ping for one webhook; return the event's id."""
    data = json.dumps({"site": site, "webhook": hook})
    return add_event(store.client, PING, site, now_iso(), data, hook=hook)


def digest_data(store: Store, site: Site, day: date) -> dict[str, Any]:
    """Return a day's digest of a site: that day's net counts and total, and its top 5."""
    name = day_name(day)
    counts = store.indexes.days(site.id, [name], site.reaction_keys)[name]
    since = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    top = store.webhooks.day_top(site.id, name, since, site.reaction_keys, TOP)
    found = store.articles.records(site.id, [ah for ah, _ in top], site.reaction_keys)
    records = {article_hash(r.article): r for r in found}  # a reset one is missing
    listed = [
        {"article": r.article, "title": r.title, "url": r.url, "total": total}
        for ah, total in top
        if (r := records.get(ah)) is not None
    ]
    return {
        "site": site.id,
        "date": day.isoformat(),
        "counts": counts,
        "total": sum(counts.values()),
        "top": listed,
    }


def queue_digest(store: Store, site: Site, day: date) -> str:
    """Queue a site's digest of one day now; return the event's id."""
    data = json.dumps(digest_data(store, site, day), ensure_ascii=False)
    return add_event(store.client, DIGEST, site.id, now_iso(), data)


def yesterday() -> date:
    """Return the UTC day before today."""
    return datetime.now(UTC).date() - timedelta(days=1)


def wants(hook: str, record: dict[str, Any], fields: dict[str, str], data: Any) -> bool:
    """Say whether a webhook gets an event."""
    type_ = fields["type"]
    if type_ == PING:
        return fields.get("hook") == hook
    if type_ == MILESTONE:
        return MILESTONE in record["events"] and data.get("milestone") in record["milestones"]
    return type_ == DIGEST and DIGEST in record["events"]


def fan_out(store: Store, event_id: str, fields: dict[str, str]) -> int:
    """Make the deliveries of one event (none twice); return how many are new."""
    site = fields.get("site", "")
    try:
        data = json.loads(fields.get("data", ""))
    except ValueError:
        return 0  # not ours: nothing to send
    made = 0
    at = fields.get("at") or now_iso()
    for hook, record in store.webhooks.list(site).items():
        if not wants(hook, record, fields, data):
            continue
        delivery = delivery_id(event_id, hook)
        made += store.webhook_queue.new_delivery(
            delivery,
            hook,
            {
                "id": delivery,
                "site": site,
                "hook": hook,
                "type": fields["type"],
                "body": body(fields["type"], at, data),
                "status": "pending",
                "attempts": "0",
                "created_at": now_iso(),
                "next_attempt_at": now_iso(),
            },
        )
    return made
