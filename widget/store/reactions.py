"""Reactions: the counts read (with its rate-limit windows), and what a reaction is stored as.

A reader's write is ``writes.py``; an article's records, history and reset ``articles.py``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..clock import PerSecond
from . import keys
from .client import Client
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


class Counts:
    """The counts read of the reader API: many articles' counts, in one trip."""

    def __init__(self, client: Client, windows: Windows) -> None:
        self.client = client
        self.windows = windows

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
        # "alias": a moved article's id (moves.py), read in the same HMGET, so an article
        # that is no alias costs nothing more; an alias's article is read in a second trip.
        fields = [*(f"c:{key}" for key in reaction_keys), "first", "closed", "alias"]
        digest = reader_digest(reader) if reader else None
        replies = iter(self.windows.read(windows, self._commands(site, articles, fields, digest)))
        tallies: dict[str, Tally] = {}
        aliases: dict[str, str] = {}
        for article in articles:
            values = next(replies)
            mine = next(replies) if digest else None
            *values, first, closed, alias = values
            if alias is not None:
                aliases[article] = alias
            counts = {k: int(v or 0) for k, v in zip(reaction_keys, values, strict=True)}
            tallies[article] = Tally(counts, mine, first, None if closed is None else closed == "1")
        if aliases:
            targets = list(dict.fromkeys(aliases.values()))
            moved = self.get_tallies(site, targets, reaction_keys, reader)
            tallies.update({article: moved[target] for article, target in aliases.items()})
        return tallies

    @staticmethod
    def _commands(
        site: str, articles: Sequence[str], fields: Sequence[str], digest: str | None
    ) -> list[tuple[str, ...]]:
        commands: list[tuple[str, ...]] = []
        for article in articles:
            article_key, readers_key, _ = keys.article_keys(site, keys.article_hash(article))
            commands.append(("HMGET", article_key, *fields))
            if digest:
                commands.append(("HGET", readers_key, digest))
        return commands
