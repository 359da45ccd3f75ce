"""The top list's rankings: a site's articles by each day's net change of a reaction or of all.

``lib/update_site.lua`` moves them with every change of a count (``rank_day``): one zset a
day for the total and one a day for each reaction (``keys.day_rank_key``), in the site's
slot, whose members are article ids scored minus their net change that day (withdrawals
and switches subtract), each living ``keys.RANK_DAYS`` days from its day's start. A top
list of N days sums N of them (``lua/top.lua``: ZUNIONSTORE, in C) into a zset that every
worker then pages for ``keep`` milliseconds (``keys.top_key``): summing costs the entries
of those days (the articles that changed in them), never a scan of the site's articles,
and is done once per list and minute (docs/development.md, "The top list", gives the
figures). When Redis is out of memory and cannot keep the sum, ``lua/top_read.lua`` sums
the days for each page instead (ZUNION, read-only), so the list still answers.

A reset takes the article out of every ranking (``remove``), a move of an article onto
another may carry its days over (``move``), the rebuild recomputes them from the articles'
histories (``RankRebuild``, run by ``rebuild.py``), and a site's deletion deletes them
(``delete``); an entry of an article gone otherwise is skipped by the reader and expires
with its day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import redis

from . import keys
from .client import Client, is_out_of_memory, register_script

TOTAL = "total"
DAY_SECONDS = 86400


class TooManySums(Exception):
    """A site made as many sums of days this minute as it may (``page``'s ``most``)."""


def recent_days(count: int, now: float) -> list[str]:
    """Return the names (yyyymmdd) of the ``count`` UTC days up to today, oldest first."""
    today = datetime.fromtimestamp(now, UTC).date()
    return [keys.day_name(today - timedelta(days=n)) for n in range(count - 1, -1, -1)]


def _expires_at(day: str) -> int:
    start = datetime.strptime(day, keys.DAY_FORMAT).replace(tzinfo=UTC)
    return int(start.timestamp()) + keys.RANK_DAYS * DAY_SECONDS


class TopLists:
    """The day rankings of a site: read a page of their sum, take an article out, delete."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.top_script = register_script(client, "top.lua")
        self.read_script = register_script(client, "top_read.lua")
        self.move_script = register_script(client, "rank_move.lua")

    def page(
        self,
        site: str,
        sort: str,
        days: Sequence[str],
        start: int,
        count: int,
        keep: int,
        most: int = 0,
    ) -> tuple[int, list[tuple[str, int]]]:
        """Return ranks start.. of ``sort`` summed over ``days``: (article id, net change).

        ``sort`` is a reaction key or "total"; only changes above 0, the most first, ties by
        id; fewer than ``count`` when the list ends. The sum is kept ``keep`` milliseconds;
        the first number returned is how many it has left (0 when it could not be kept). A
        site makes at most ``most`` sums a minute (0: no bound), then TooManySums.
        """
        ranks = [keys.day_rank_key(site, day, sort) for day in days]
        sum_key = keys.top_key(site, sort, len(days), days[-1])
        budget = keys.top_budget_key(site)
        try:
            reply: list[Any] = self.top_script(
                keys=[sum_key, budget, *ranks], args=[start, count, keep, most or 1 << 40]
            )
        except redis.exceptions.ResponseError as exc:
            if not is_out_of_memory(exc):
                raise
            reply = self.read_script(keys=ranks, args=[start, count])
        if reply[0] == "too_many_sums":
            raise TooManySums(site)
        it = iter(reply[1])
        page = [(str(article), -int(float(score))) for article, score in zip(it, it, strict=True)]
        return max(int(reply[0]), 0), page

    def _all_keys(self, site: str, reaction_keys: Sequence[str], now: float) -> list[str]:
        return [
            keys.day_rank_key(site, day, sort)
            for day in recent_days(keys.RANK_DAYS, now)
            for sort in (TOTAL, *reaction_keys)
        ]

    def remove(self, site: str, article: str, reaction_keys: Sequence[str], now: float) -> None:
        """Take a (reset) article out of every day ranking of the site that may hold it."""
        pipe = self.client.pipeline(transaction=False)
        for key in self._all_keys(site, reaction_keys, now):
            pipe.zrem(key, article)
        pipe.execute()

    def move(
        self, site: str, moved: str, into: str, reaction_keys: Sequence[str], now: float
    ) -> int:
        """Add an article's day changes to another's (a move or merge); return the days moved.

        For the article moves of the publisher API: the moved id leaves every ranking, and
        the one it went into counts its days, so the top list stays exact.
        """
        return int(
            self.move_script(keys=self._all_keys(site, reaction_keys, now), args=[moved, into])
        )

    def correct(self, site: str, article: str, changes: dict[str, int], now: float) -> None:
        """Add net changes of today (reaction -> n, and their sum to the total) to rankings."""
        day = recent_days(1, now)[0]
        pipe = self.client.pipeline(transaction=False)
        for sort, n in (*changes.items(), (TOTAL, sum(changes.values()))):
            if n:
                key = keys.day_rank_key(site, day, sort)
                pipe.zincrby(key, -n, article)  # scored minus the change: the most first
                pipe.zremrangebyscore(key, 0, 0)  # 0 is no change: no entry
                pipe.expireat(key, _expires_at(day))
        pipe.execute()

    def delete(self, site: str, reaction_keys: Sequence[str], now: float) -> None:
        """Delete every day ranking of a site."""
        pipe = self.client.pipeline(transaction=False)
        for key in self._all_keys(site, reaction_keys, now):
            pipe.delete(key)
        pipe.execute()


class RankRebuild:
    """The day rankings rebuilt from the articles' histories, beside the other indexes.

    Built under temporary keys in the site's slot, then renamed over the live ones, as
    ``rebuild.py`` does with every index; only the days a ranking still lives are built.
    """

    def __init__(
        self, client: Client, site: str, reaction_keys: Sequence[str], today: date, temp: str
    ) -> None:
        self.client = client
        self.days = {keys.day_name(today - timedelta(days=n)) for n in range(keys.RANK_DAYS)}
        self.sorts = {TOTAL, *reaction_keys}
        self.live = {
            (day, sort): keys.day_rank_key(site, day, sort)
            for day in self.days
            for sort in self.sorts
        }
        self.temp = {
            name: keys.site_key(site, f"{temp}:day:{name[0]}:{name[1]}") for name in self.live
        }
        client.delete(*self.temp.values())  # what an interrupted run left

    def add(self, pipe: Any, article: str, history: dict[str, str]) -> None:
        """Queue on ``pipe`` one article's recent days (its history hash) into the rankings."""
        for field, change in history.items():
            day, _, reaction = field.partition(":")
            if day in self.days and reaction in self.sorts and int(change):
                pipe.zincrby(self.temp[day, reaction], -int(change), article)
                pipe.zincrby(self.temp[day, TOTAL], -int(change), article)

    def finish(self) -> None:
        """Put the rebuilt rankings in place of the live ones (an empty one is deleted)."""
        for name, temp_key in self.temp.items():
            # A day's switches cancel out in its total: no entry at 0, as rank_day keeps.
            self.client.zremrangebyscore(temp_key, 0, 0)
            if self.client.exists(temp_key):
                self.client.rename(temp_key, self.live[name])
                self.client.expireat(self.live[name], _expires_at(name[0]))
            else:
                self.client.delete(self.live[name])
