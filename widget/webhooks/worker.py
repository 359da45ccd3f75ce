"""The delivery worker: ``flask --app widget webhooks work``, a process beside gunicorn.

One loop, and a pool of threads for the attempts. The loop reads new events through the
stream's consumer group and makes their deliveries (``events.fan_out``), then acknowledges
them; takes over events that a killed worker left pending (``XAUTOCLAIM``, after
``LEASE_SECONDS`` idle); claims due deliveries, as many as it has idle threads, each for
``LEASE_SECONDS`` (``lua/claim_deliveries.lua``: no other worker takes it meanwhile), and
hands each to a thread; and once a minute queues yesterday's digest of each site whose
webhooks want one and whose digest of that day nobody queued yet. Several workers may run:
each event goes to one of them, each claim to one of them.

An attempt reads its webhook afresh (a deleted one gets nothing more), checks its URL
again (``ssrf.resolve``), signs (``signing.headers``) and POSTs (``sender.post``, 5 s).
A 2xx delivers; anything else is tried again after the next wait of the retry schedule
(``WEBHOOK_RETRY_SCHEDULE``, each wait give or take 10%), and after the last one the
delivery is ``failed``. Delivery is at least once: a worker killed mid-attempt leaves the
delivery due again when its claim ends, and it is sent again with the same ``webhook-id``.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import redis

from ..sites import SiteRegistry
from ..store import STORAGE_ERRORS, Store
from . import events, sender
from .events import now_iso
from .hooks import DIGEST
from .signing import headers
from .ssrf import UnsafeURL, resolve

log = logging.getLogger("widget.webhooks")

THREADS = 8
# A claim outlives the longest attempt (5 s to connect, 5 s per read) with room to spare.
LEASE_SECONDS = 15.0
READ_BLOCK_MS = 200
RECLAIM_EVERY = 5.0
DIGEST_EVERY = 60.0
TIDY_EVERY = 3600.0
JITTER = 0.1


def parse_schedule(raw: str) -> tuple[float, ...]:
    """Return the waits of a retry schedule as config.py checked it ("10,60,300")."""
    return tuple(float(part) for part in raw.split(","))


class Worker:
    """Delivers the webhooks' events until told to stop."""

    def __init__(
        self,
        store: Store,
        sites: SiteRegistry,
        schedule: Sequence[float],
        allow_private: bool,
        threads: int = THREADS,
    ) -> None:
        self.store = store
        self.queue = store.webhook_queue
        self.sites = sites
        self.schedule = tuple(schedule)
        self.allow_private = allow_private
        self.threads = threads
        self.consumer = f"{socket.gethostname()}-{os.getpid()}"
        self.stop = threading.Event()
        self.attempted = 0

    def run(self) -> None:
        """Work until ``stop`` is set; then finish the attempts under way."""
        self.queue.ensure_group()
        last = dict.fromkeys(("reclaim", "digest", "tidy"), 0.0)
        running: set[Future[None]] = set()
        with ThreadPoolExecutor(self.threads, thread_name_prefix="webhook") as pool:
            while not self.stop.is_set():
                try:
                    running = self._turn(pool, running, last)
                except STORAGE_ERRORS as exc:  # Redis away: try again, never die of it
                    log.warning("webhooks worker: Redis: %s; trying again in 1 s", exc)
                    self.stop.wait(1.0)
                except redis.exceptions.ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    self.queue.ensure_group()  # the stream was deleted (FLUSHALL)

    def _turn(
        self, pool: ThreadPoolExecutor, running: set[Future[None]], last: dict[str, float]
    ) -> set[Future[None]]:
        now = time.monotonic()
        if now - last["reclaim"] > RECLAIM_EVERY:
            last["reclaim"] = now
            self._fan_out(self.queue.claim_stale(self.consumer, int(LEASE_SECONDS * 1000)))
        if now - last["digest"] > DIGEST_EVERY:
            last["digest"] = now
            self.queue_digests()
        if now - last["tidy"] > TIDY_EVERY:
            last["tidy"] = now
            self.queue.forget_consumers(idle_ms=86_400_000)
        running = {f for f in running if not f.done()}
        free = self.threads - len(running)
        claimed = self.queue.claim_due(free, LEASE_SECONDS) if free > 0 else []
        for delivery in claimed:
            running.add(pool.submit(self.attempt, delivery))
        block: int | None = READ_BLOCK_MS
        if len(running) >= self.threads:  # every thread busy: wait for one
            wait(running, READ_BLOCK_MS / 1000, FIRST_COMPLETED)
            block = None
        elif claimed:  # more may be due: look again at once
            block = None
        self._fan_out(self.queue.read(self.consumer, 100, block))
        return running

    def _fan_out(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        for event_id, fields in entries:
            made = events.fan_out(self.store, event_id, fields)
            log.info("event %s %s of %s: %d deliveries", event_id, fields.get("type"),
                     fields.get("site"), made)  # fmt: skip
        self.queue.done([event_id for event_id, _ in entries])

    def queue_digests(self) -> None:
        """Queue yesterday's digest of every site whose webhooks want one, once a day."""
        day = events.yesterday()
        for site_id in self.store.webhooks.sites():
            site = self.sites.get(site_id)
            hooks = self.store.webhooks.list(site_id)
            if site is None or not hooks:
                self.store.webhooks.forget_site(site_id)
                continue
            wanted = any(DIGEST in hook["events"] for hook in hooks.values())
            if wanted and self.queue.mark_digest(site_id, day.isoformat()):
                events.queue_digest(self.store, site, day)

    def attempt(self, delivery: str) -> None:
        """Make one attempt of a claimed delivery and save its outcome; never raise."""
        try:
            self._attempt(delivery)
        except Exception:  # a thread's failure must not end the worker; the claim ends
            log.exception("attempt of delivery %s failed", delivery)

    def _attempt(self, delivery: str) -> None:
        record = self.queue.delivery(delivery)
        hook = self.store.webhooks.get(record.get("site", ""), record.get("hook", ""))
        if not record or hook is None:  # expired, or its webhook deleted: nothing to send
            self.queue.drop(record.get("hook", ""), [delivery])
            return
        now = time.time()
        body = record["body"].encode()
        try:
            target = resolve(hook["url"], self.allow_private)
        except UnsafeURL as exc:
            outcome = sender.Outcome(False, None, str(exc))
        else:
            outcome = sender.post(target, body, headers(hook["secret"], delivery, body, now))
        self.attempted += 1
        attempts = int(record.get("attempts") or 0) + 1
        due: float | None = None
        if outcome.delivered:
            status = "delivered"
        elif attempts <= len(self.schedule):
            status = "pending"
            # A receiver's Retry-After may lengthen the wait, up to the schedule's longest.
            wait = max(
                self.schedule[attempts - 1], min(outcome.retry_after or 0, max(self.schedule))
            )
            due = time.time() + wait * random.uniform(1 - JITTER, 1 + JITTER)
        else:
            status = "failed"
        self.queue.settle(
            delivery,
            {
                "status": status,
                "attempts": attempts,
                "last_status": outcome.status,
                "last_error": outcome.error,
                "next_attempt_at": now_iso(due) if due is not None else None,
            },
            due,
        )
        log.info("delivery %s to %s: attempt %d, %s (%s)", delivery, record.get("hook"),
                 attempts, status, outcome.status or outcome.error)  # fmt: skip
