"""The webhooks' queue: a Redis Stream of events, and the deliveries made from them.

An event (a milestone reached, a day's digest, a ping) is one entry of the stream
``rx:{webhooks}:events``, added by the reaction's own script on one Redis (``lua/reaction.lua``)
or by ``add_event``. The worker reads it through a consumer group (``XREADGROUP``): an
entry stays pending, owned by the worker that read it, until that worker made its
deliveries (one per webhook that wants it) and acknowledged it; a worker killed in between
leaves it pending, and another claims it (``XAUTOCLAIM``) once it has been idle a while.
The stream is capped at ``EVENTS_CAP`` entries (``MAXLEN ~``): past it, while no worker
reads, the oldest events are dropped.

A delivery is a hash (``rx:{webhooks}:d:<id>``) and a member of the zset of due
deliveries, scored with the time of its next attempt. A worker claims due ones
atomically (``lua/claim_deliveries.lua``) by moving their score past a lease, so two
workers never attempt one delivery at once; one killed mid-attempt leaves the delivery
due again when the lease ends. Each webhook's log keeps its last ``LOG_CAP`` deliveries
for ``KEEP_SECONDS``: a delivery pushed out of the log is dropped, pending or not, so a
receiver that is down for days costs at most ``LOG_CAP`` deliveries.

All of these keys share the ``{webhooks}`` hash tag: one slot of a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import redis

from . import keys
from .client import Client, register_script

EVENTS_CAP = 10_000
GROUP = "workers"
LOG_CAP = 1000
KEEP_SECONDS = 7 * 86400
DIGEST_MARK_SECONDS = 3 * 86400


def add_event(client: Client, type_: str, site: str, at: str, data: str, **extra: str) -> str:
    """Queue one event (its ``data`` a JSON text) for the worker; return its stream id."""
    fields: dict[Any, Any] = {"type": type_, "site": site, "at": at, "data": data, **extra}
    return str(client.xadd(keys.EVENTS_STREAM, fields, maxlen=EVENTS_CAP, approximate=True))


class WebhookQueue:
    """The events waiting for a worker, and the deliveries made of them."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.new_script = register_script(client, "new_delivery.lua")
        self.claim_script = register_script(client, "claim_deliveries.lua")

    def ensure_group(self) -> None:
        """Make the workers' consumer group (and the stream) unless they exist."""
        try:
            self.client.xgroup_create(keys.EVENTS_STREAM, GROUP, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(
        self, consumer: str, count: int, block_ms: int | None
    ) -> list[tuple[str, dict[str, str]]]:
        """Return new events for this consumer, waiting up to ``block_ms`` (None: not at
        all); they stay pending until ``done``."""
        replies: Any = self.client.xreadgroup(
            GROUP, consumer, {keys.EVENTS_STREAM: ">"}, count=count, block=block_ms
        )
        return [entry for _, entries in replies or [] for entry in entries]

    def claim_stale(
        self, consumer: str, idle_ms: int, count: int = 100
    ) -> list[tuple[str, dict[str, str]]]:
        """Take over events another consumer read and left pending for ``idle_ms``."""
        reply: Any = self.client.xautoclaim(
            keys.EVENTS_STREAM, GROUP, consumer, min_idle_time=idle_ms, count=count
        )
        gone = [i for i, f in reply[1] if not f]  # trimmed (past the cap) while pending
        if gone:
            self.client.xack(keys.EVENTS_STREAM, GROUP, *gone)
        return [(i, f) for i, f in reply[1] if f]

    def done(self, event_ids: Sequence[str]) -> None:
        """Acknowledge events whose deliveries are made, and drop them from the stream."""
        if event_ids:
            pipe = self.client.pipeline(transaction=False)
            pipe.xack(keys.EVENTS_STREAM, GROUP, *event_ids)
            pipe.xdel(keys.EVENTS_STREAM, *event_ids)
            pipe.execute()

    def forget_consumers(self, idle_ms: int) -> None:
        """Remove consumers (stopped workers) that hold nothing and were idle long."""
        for consumer in self.client.xinfo_consumers(keys.EVENTS_STREAM, GROUP):
            if not consumer["pending"] and consumer["idle"] > idle_ms:
                self.client.xgroup_delconsumer(keys.EVENTS_STREAM, GROUP, consumer["name"])

    def new_delivery(self, delivery: str, hook: str, fields: Mapping[str, str]) -> bool:
        """Make a delivery due now, unless it exists (an event read twice); say if made."""
        now = time.time()
        log = keys.delivery_log_key(hook)
        made, size = self.new_script(
            keys=[keys.delivery_key(delivery), keys.DUE_DELIVERIES, log],
            args=[delivery, now, KEEP_SECONDS, *(v for kv in fields.items() for v in kv)],
        )
        if int(size) > LOG_CAP or made:
            self._trim(hook, now)
        return bool(made)

    def _trim(self, hook: str, now: float) -> None:
        log = keys.delivery_log_key(hook)
        old: list[str] = self.client.zrangebyscore(log, "-inf", now - KEEP_SECONDS)  # type: ignore[assignment]
        over: list[str] = self.client.zrange(log, 0, -(LOG_CAP + 1))  # type: ignore[assignment]
        self.drop(hook, list(dict.fromkeys([*old, *over])))

    def drop(self, hook: str, deliveries: Sequence[str]) -> None:
        """Forget deliveries: their records, their places in the log and among the due."""
        if deliveries:
            pipe = self.client.pipeline(transaction=False)
            pipe.delete(*(keys.delivery_key(d) for d in deliveries))
            pipe.zrem(keys.DUE_DELIVERIES, *deliveries)
            pipe.zrem(keys.delivery_log_key(hook), *deliveries)
            pipe.execute()

    def drop_webhook(self, hook: str) -> None:
        """Forget every delivery of a webhook (it was deleted)."""
        self.drop(hook, [str(d) for d in self.client.zrange(keys.delivery_log_key(hook), 0, -1)])
        self.client.delete(keys.delivery_log_key(hook))

    def claim_due(self, count: int, lease_seconds: float) -> list[str]:
        """Claim up to ``count`` deliveries that are due, for ``lease_seconds``."""
        now = time.time()
        return list(
            self.claim_script(keys=[keys.DUE_DELIVERIES], args=[now, now + lease_seconds, count])
        )

    def delivery(self, delivery: str) -> dict[str, str]:
        """Return one delivery's fields ({} when it is gone)."""
        record: dict[str, str] = self.client.hgetall(keys.delivery_key(delivery))  # type: ignore[assignment]
        return record

    def settle(self, delivery: str, fields: Mapping[str, Any], due: float | None) -> None:
        """Save an attempt's outcome; due again at ``due``, or never (None)."""
        key = keys.delivery_key(delivery)
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(key, mapping={k: "" if v is None else str(v) for k, v in fields.items()})
        pipe.expire(key, KEEP_SECONDS)
        if due is None:
            pipe.zrem(keys.DUE_DELIVERIES, delivery)
        else:
            pipe.zadd(keys.DUE_DELIVERIES, {delivery: due})
        pipe.execute()

    def log(self, hook: str, limit: int) -> list[dict[str, str]]:
        """Return a webhook's last ``limit`` deliveries, newest first."""
        ids = [str(d) for d in self.client.zrevrange(keys.delivery_log_key(hook), 0, limit - 1)]
        pipe = self.client.pipeline(transaction=False)
        for delivery in ids:
            pipe.hgetall(keys.delivery_key(delivery))
        return [dict(d) for d in pipe.execute() if d]

    def depth(self) -> tuple[int, int, float | None]:
        """Return the events waiting, the deliveries pending, and the oldest event's age."""
        pipe = self.client.pipeline(transaction=False)
        pipe.xlen(keys.EVENTS_STREAM)
        pipe.zcard(keys.DUE_DELIVERIES)
        pipe.xrange(keys.EVENTS_STREAM, count=1)
        events, due, first = pipe.execute()
        age = None
        if first:
            age = max(0.0, time.time() - int(first[0][0].split("-")[0]) / 1000)
        return int(events), int(due), age

    def mark_digest(self, site: str, day: str) -> bool:
        """Say whether this call is the first to queue the site's digest of the day."""
        mark = keys.digest_key(site, day)
        return bool(self.client.set(mark, "1", nx=True, ex=DIGEST_MARK_SECONDS))
