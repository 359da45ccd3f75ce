"""Site records: each site's settings as JSON, and the set of every site id.

They share one slot (``{sites}``), apart from any site's data. What a site is, and the
cache in front of these reads, are ``widget/sites/registry.py``'s.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis.exceptions import TryAgainError, WatchError

from . import keys
from .client import Client
from .indexes import SiteIndexes


class SiteRecords:
    """Load, create, save and delete sites (a delete takes every key of its articles)."""

    def __init__(self, client: Client, indexes: SiteIndexes) -> None:
        self.client = client
        self.indexes = indexes

    def load(self, site: str) -> dict[str, Any] | None:
        """Return a site's stored settings, or None."""
        raw = self.client.get(keys.site_record_key(site))
        return json.loads(raw) if raw else None

    def load_all(self) -> list[dict[str, Any]]:
        """Return every site's stored settings, by id."""
        ids = sorted(str(s) for s in self.client.smembers(keys.all_sites_key()))
        if not ids:
            return []
        raws = self.client.mget([keys.site_record_key(s) for s in ids])
        return [json.loads(raw) for raw in raws if raw]

    def create(self, site: str, record: dict[str, Any]) -> bool:
        """Store a new site; return False if the id is taken."""
        if not self.client.set(keys.site_record_key(site), json.dumps(record), nx=True):
            return False
        self.client.sadd(keys.all_sites_key(), site)
        return True

    def save(self, site: str, record: dict[str, Any]) -> None:
        """Replace a site's stored settings."""
        self.client.set(keys.site_record_key(site), json.dumps(record))

    def change(
        self, site: str, changed: Callable[[dict[str, Any]], dict[str, Any]], tries: int = 20
    ) -> dict[str, Any] | None:
        """Save what ``changed`` makes of a site's stored record; return it (None: no site).

        The read and the write are one optimistic transaction (WATCH, then MULTI/EXEC):
        if another change lands in between, this one reads the record again and reapplies
        ``changed``, so two changes at the same moment both land, neither lost. ``changed``
        may raise to refuse, and then nothing is saved.
        """
        key = keys.site_record_key(site)
        for attempt in range(tries):
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if not raw:
                        return None
                    record = changed(json.loads(raw))
                    pipe.multi()
                    pipe.set(key, json.dumps(record))
                    pipe.execute()
                    return record
                except WatchError:
                    pass
            # A random pause, growing: writers that collided do not collide again in step.
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        # Only a storm of changes to one site gets here: a 503 asks the client to retry.
        raise TryAgainError(f"site {site!r} kept changing; try again")

    def delete(
        self, site: str, reaction_keys: Sequence[str], done: Callable[[int], None] | None = None
    ) -> None:
        """Delete a site's record, then every key of its data: a new site of the id is empty.

        ``done(n)`` is told of each batch of n articles deleted (a progress bar's).

        The record goes first, so no worker that reads it anew writes into the site; a
        worker's cached copy may still write for its cache time, which the caller sweeps
        after with ``sweep``.
        """
        self.client.delete(keys.site_record_key(site))
        self.client.srem(keys.all_sites_key(), site)
        # The indexes name the articles: their keys go in batches, with no scan.
        for hashes in self.indexes.drain(site):
            pipe = self.client.pipeline(transaction=False)
            for ah in hashes:
                for key in keys.article_keys(site, ah):
                    pipe.delete(key)
            pipe.execute()
            if done is not None:
                done(len(hashes))
        self.indexes.delete(site, reaction_keys)
        self.sweep(site)

    def sweep(self, site: str) -> int:
        """Delete every key of a site's data that is left, by a scan of every node; count them.

        What no index lists (caps, budgets, the results of recent calls, an article that a
        racing write created) is found by the site's SCAN pattern, on every master of a
        cluster; a rare delete can afford it.
        """
        deleted = 0
        pipe = self.client.pipeline(transaction=False)
        for key in self.client.scan_iter(match=keys.site_keys_pattern(site), count=1000):
            pipe.delete(key)  # one key a command: the keys may be in different slots
            deleted += 1
            if deleted % 1000 == 0:
                pipe.execute()
        pipe.execute()
        return deleted
