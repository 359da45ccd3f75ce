"""A site's indexes: its articles by total, recency, each reaction and title, its totals.

They live in the site's slot (``keys.site_key``), apart from the articles, and follow each
article script by deltas (``update_site.lua``); ``rebuild.py`` recomputes them from the
articles when they may have drifted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from . import keys
from .client import Client, ScriptCall, register_script
from .rebuild import ReindexResult, rebuild_site_indexes
from .top import TopLists

# How long a call's result and its "site indexes moved" marker are kept: far longer than
# redis-py's retry of a timed-out script (REDIS_SOCKET_TIMEOUT and a short backoff).
ONCE_TTL_SECONDS = 60


def read_days(
    client: Client, key: str, days: Sequence[str], reaction_keys: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Return a day series hash's net change of each reaction on each day (yyyymmdd)."""
    fields = [f"{day}:{r}" for day in days for r in reaction_keys]
    values = iter(client.hmget(key, fields) if fields else [])
    return {day: {r: int(next(values) or 0) for r in reaction_keys} for day in days}


class SiteIndexes:
    """Reads and moves of a site's indexes, totals and day series."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.update_site_script = register_script(client, "update_site.lua")
        self.index_after_script = register_script(client, "index_after.lua")
        self.index_title_script = register_script(client, "index_title.lua")
        self.top = TopLists(client)  # the top list's day rankings, moved by update_site

    # -- moved by the reaction writes ------------------------------------------------

    def update_call(
        self,
        site: str,
        ah: str,
        old: str | None,
        new: str | None,
        now: float,
        day: str,
        op: str,
        fresh_keys: Sequence[str] = (),
        title: str = "",
        *,
        article: str,
    ) -> ScriptCall:
        """Return the call of update_site.lua that moves a site's indexes after a change.

        One script for every site-slot change of the call (deltas, a new article's entry
        in every index, its title), applied once per call id ``op``.
        """
        total = keys.index_key(site, "total")
        script_keys = [
            keys.marker_key(site, op),
            total,
            keys.site_key(site, "counts"),
            keys.site_key(site, "days"),
            keys.index_key(site, "recent"),
            keys.index_key(site, old) if old else total,
            keys.index_key(site, new) if new else total,
            keys.site_key(site, "titles"),
            keys.site_key(site, "title-of"),
            keys.day_rank_key(site, day, "total"),
            keys.day_rank_key(site, day, old) if old else total,
            keys.day_rank_key(site, day, new) if new else total,
            *(keys.index_key(site, key) for key in fresh_keys),
            keys.site_key(site, "moved"),  # the cluster's update_site.lua: moved articles
        ]
        args = [
            ah,
            old or "",
            new or "",
            day,
            int(now),
            ONCE_TTL_SECONDS,
            int(bool(fresh_keys)),
            title,
            article,
        ]
        return self.update_site_script, script_keys, args

    def set_title(self, site: str, ah: str, member: str) -> None:
        """Move an article in the site's title index to ``member`` ("": out of it)."""
        titles = [keys.site_key(site, "titles"), keys.site_key(site, "title-of")]
        self.index_title_script(keys=titles, args=[ah, member])

    def remove_article(
        self, site: str, ah: str, counts: dict[str, int], day: str, reaction_keys: Sequence[str]
    ) -> None:
        """Take a reset article out of the site's indexes, and its counts off the site's."""
        pipe = self.client.pipeline(transaction=False)
        for key in ("total", "recent", *reaction_keys):
            pipe.zrem(keys.index_key(site, key), ah)
        for reaction, count in counts.items():
            if count:
                pipe.hincrby(keys.site_key(site, "counts"), reaction, -count)
                pipe.hincrby(keys.site_key(site, "days"), f"{day}:{reaction}", -count)
        pipe.execute()
        self.set_title(site, ah, "")

    def delete(self, site: str, reaction_keys: Sequence[str]) -> None:
        """Delete every index and total of a site (its refusals too)."""
        pipe = self.client.pipeline(transaction=False)
        for name in (*keys.SITE_INDEXES, "refused"):
            pipe.delete(keys.site_key(site, name))
        for key in reaction_keys:
            pipe.delete(keys.index_key(site, key))
        pipe.execute()
        self.top.delete(site, reaction_keys, time.time())

    # -- the site's totals -----------------------------------------------------------

    def add_reactions(self, site: str, reaction_keys: Sequence[str]) -> None:
        """Put every article of the site into the (new) indexes of these reactions, at 0."""
        total = keys.index_key(site, "total")
        for key in reaction_keys:
            index = keys.index_key(site, key)
            # by:<key> ∪ total with the totals weighed 0: every article, and any count that a
            # reader gave the new reaction meanwhile kept. One command, in the site's slot.
            self.client.zunionstore(index, {index: 1, total: 0}, aggregate="SUM")

    def article_count(self, site: str) -> int:
        """Return how many articles of the site have had a reaction."""
        return int(self.client.zcard(keys.index_key(site, "total")))

    def counts(self, site: str, reaction_keys: Sequence[str]) -> dict[str, int]:
        """Return the site's total count of each reaction."""
        values = self.client.hmget(keys.site_key(site, "counts"), list(reaction_keys))
        return {k: int(v or 0) for k, v in zip(reaction_keys, values, strict=True)}

    def days(
        self, site: str, days: Sequence[str], reaction_keys: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Return the site's net change of each reaction on each day (yyyymmdd)."""
        return read_days(self.client, keys.site_key(site, "days"), days, reaction_keys)

    def refused_days(self, site: str, days: Sequence[str]) -> dict[str, int]:
        """Return how many new reactions the per-address cap refused on each day (yyyymmdd)."""
        key = keys.site_key(site, "refused")
        values = self.client.hmget(key, list(days)) if days else []
        return {day: int(v or 0) for day, v in zip(days, values, strict=True)}

    # -- pages and scans ---------------------------------------------------------------

    def page(self, site: str, sort: str, start: int, count: int) -> list[tuple[str, float]]:
        """Return (article hash, score) pairs of a site index, highest score first."""
        pairs: list[Any] = self.client.zrevrange(
            keys.index_key(site, sort), start, start + count - 1, withscores=True
        )
        return [(str(m), float(s)) for m, s in pairs]

    def after(
        self, site: str, sort: str, score: float, member: str, count: int
    ) -> list[tuple[str, float]]:
        """Return the index entries right after (score, member), highest score first."""
        pairs = self.index_after_script(
            keys=[keys.index_key(site, sort)], args=[repr(float(score)), member, count]
        )
        it = iter(pairs)
        return [(str(m), float(s)) for m, s in zip(it, it, strict=True)]

    def title_page(self, site: str, after: str | None, count: int) -> list[str]:
        """Return members of the site's title index (A to Z) right after ``after``."""
        start = "-" if after is None else "(" + after
        members: list[Any] = self.client.zrangebylex(
            keys.site_key(site, "titles"), start, "+", start=0, num=count
        )
        return [str(m) for m in members]

    def scan(self, site: str, batch: int = 500) -> Iterator[list[str]]:
        """Yield every article hash of a site in batches, in no order (ZSCAN).

        Unlike paging by rank, an article whose score changes meanwhile is still seen;
        one may come twice only if the index is resized during the scan.
        """
        key = keys.index_key(site, "total")
        cursor = 0
        while True:
            cursor, pairs = self.client.zscan(key, cursor, count=batch)
            if pairs:
                yield [str(m) for m, _ in pairs]
            if not cursor:
                return

    def drain(self, site: str, batch: int = 1000) -> Iterable[list[str]]:
        """Yield every article hash of a site in batches, each taken out of the index after.

        Read from the start each time: the caller deletes what it was given.
        """
        key = keys.index_key(site, "total")
        while True:
            page = [str(m) for m in self.client.zrange(key, 0, batch - 1)]
            if not page:
                return
            yield page
            self.client.zrem(key, *page)

    # -- rebuilt -------------------------------------------------------------------------

    def rebuild(
        self,
        site: str,
        reaction_keys: Sequence[str],
        batch: int = 500,
        done: Callable[[int], None] | None = None,
    ) -> ReindexResult:
        """Rebuild every index and total of one site from its articles' own data (rebuild.py)."""
        return rebuild_site_indexes(self.client, site, reaction_keys, batch, done)
