"""Reactions: the counts reads (with their rate-limit windows), an article's reset, records.

A reader's write is ``writes.py``.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..clock import PerSecond
from . import keys
from .indexes import SiteIndexes
from .windows import Window, Windows

# How an article's first and last reaction times are stored.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The cap hash covers one UTC day; it lives two so that a day's last writes keep it.
CAP_TTL_SECONDS = 2 * 24 * 3600


def reader_digest(token: str) -> str:
    """Return what is stored for a reader token: a 96-bit digest, never the token."""
    digest = hashlib.blake2b(token.encode(), digest_size=12, person=b"rx-reader-v1").digest()
    return base64.urlsafe_b64encode(digest).decode()


# Formatted once a second, not once a request: each POST's write asks for it.
_iso_second = PerSecond(lambda second: datetime.fromtimestamp(second, UTC).strftime(ISO_FORMAT))


def iso(epoch: float) -> str:
    """Return an epoch time as ISO 8601 UTC with a Z."""
    return _iso_second(int(epoch))


class CapReached(Exception):
    """One address already added as many new reactions to this article today as allowed."""


class ArticleClosed(Exception):
    """Voting on the article is closed (by the publisher, or by the site's age limit)."""


@dataclass(frozen=True)
class Tally:
    """One article's counts as read from Redis, in the order of the site's reactions."""

    counts: dict[str, int]
    mine: str | None = None
    first: str | None = None  # the first counted reaction's time (ISO 8601), if any
    # The publisher's word on this article: True closed, False reopened (even past the
    # site's age limit), None none (the site's rule applies).
    closed: bool | None = None

    @property
    def total(self) -> int:
        """Return the sum of the counts."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class ArticleRecord:
    """One article with its metadata and counts, as the publisher side lists it."""

    article: str
    title: str | None
    url: str | None
    counts: dict[str, int]
    first_reaction_at: str | None
    last_reaction_at: str | None
    closed: bool = False

    @property
    def total(self) -> int:
        """Return the sum of the counts."""
        return sum(self.counts.values())


class Reactions(SiteIndexes, Windows):
    """Readers' reactions to articles, and what is read back of them."""

    def get_tallies(
        self,
        site: str,
        articles: Sequence[str],
        reaction_keys: Sequence[str],
        reader: str | None = None,
        windows: Sequence[Window] = (),
    ) -> dict[str, Tally]:
        """Return the counts of many articles (and the reader's own reactions) in one trip.

        The ``windows`` are counted in the same trip (WindowLimited when one is over).
        """
        fields = [*(f"c:{key}" for key in reaction_keys), "first", "closed"]
        digest = reader_digest(reader) if reader else None
        commands: list[tuple[str, ...]] = []
        for article in articles:
            article_key, readers_key, _ = keys.article_keys(site, keys.article_hash(article))
            commands.append(("HMGET", article_key, *fields))
            if digest:
                commands.append(("HGET", readers_key, digest))
        replies = iter(self.read_with_windows(windows, commands))
        tallies: dict[str, Tally] = {}
        for article in articles:
            values = next(replies)
            mine = next(replies) if digest else None
            *values, first, closed = values
            counts = {k: int(v or 0) for k, v in zip(reaction_keys, values, strict=True)}
            tallies[article] = Tally(counts, mine, first, None if closed is None else closed == "1")
        return tallies

    def reset_article(self, site: str, article: str, reaction_keys: Sequence[str]) -> bool:
        """Remove an article's counts, readers and history; return whether it existed."""
        ah = keys.article_hash(article)
        article_keys = keys.article_keys(site, ah)
        result = self.reset_article_script(keys=article_keys, args=list(reaction_keys))
        existed = bool(int(result[0]))
        counts = dict(zip(reaction_keys, (int(c) for c in result[1:]), strict=True))
        self._remove_from_indexes(site, ah, counts, keys.day_of(time.time()), reaction_keys)
        return existed

    def article_days(
        self, site: str, article: str, days: Sequence[str], reaction_keys: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Return an article's net change of each reaction on each day (yyyymmdd)."""
        _, _, history_key = keys.article_keys(site, keys.article_hash(article))
        return self._days(history_key, days, reaction_keys)

    def article_records(
        self, site: str, hashes: Sequence[str], reaction_keys: Sequence[str]
    ) -> list[ArticleRecord]:
        """Return the metadata and counts of articles named by their hashes, in one trip."""
        fields = ["id", "title", "url", "first", "last", "closed"]
        fields += [f"c:{k}" for k in reaction_keys]
        pipe = self.client.pipeline(transaction=False)
        for ah in hashes:
            pipe.hmget(keys.article_key(site, ah), fields)
        records = []
        for values in pipe.execute():
            if values[0] is None:  # reset between the index read and this one
                continue
            counts = {k: int(v or 0) for k, v in zip(reaction_keys, values[6:], strict=True)}
            records.append(
                ArticleRecord(
                    article=values[0],
                    title=values[1],
                    url=values[2],
                    counts=counts,
                    first_reaction_at=values[3],
                    last_reaction_at=values[4],
                    closed=values[5] == "1",
                )
            )
        return records

    def article_record(
        self, site: str, article: str, reaction_keys: Sequence[str]
    ) -> ArticleRecord | None:
        """Return one article's metadata and counts, or None if nobody reacted to it."""
        records = self.article_records(site, [keys.article_hash(article)], reaction_keys)
        return records[0] if records else None
