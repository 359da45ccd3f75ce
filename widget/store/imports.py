"""Imported counts: an article's counts from another tool, with no readers behind them.

``store.imports.write`` sets the imported counts of a batch of articles
(``lua/import_article.lua`` each, atomically per article), then moves the site's indexes
by what changed, in one pipelined trip each: 100,000 articles take seconds
(``docs/moving.md``). The imported part of a count is kept in the article's ``i:<r>``
field and is already inside its ``c:<r>`` count, so every read sees live and imported
counts together; importing again moves each count by the difference only, and enters
that difference in the history on the day of the import.

An article's script and its site's index moves are two trips (two slots on a cluster);
a failure between them leaves the indexes short of that batch's changes, which
``reindex`` makes right (an import run again changes nothing more: it replaces).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from . import keys
from .client import Client, evalsha, read_commands, register_script
from .indexes import SiteIndexes
from .reactions import iso

IMPORTED = "i:"  # an article hash's field of one reaction's imported count: "i:<reaction>"


class ImportState(IntEnum):
    """What import_article.lua did with an article (its CREATED, EXISTED, NOT_MADE)."""

    CREATED = 1
    EXISTED = 0
    NOT_MADE = -1


@dataclass(frozen=True)
class ImportRow:
    """One article's counts to import (replacing any imported before), title and URL."""

    article: str
    counts: dict[str, int]
    title: str | None = None
    url: str | None = None


@dataclass
class ImportTally:
    """What a batch of imports did: articles created and set, counts set, counts moved."""

    created: int = 0
    articles: int = 0
    imported: int = 0  # the sum of the imported counts set
    change: int = 0


class Imports:
    """Imported counts, written in batches, with the site's indexes moved after each."""

    def __init__(self, client: Client, indexes: SiteIndexes) -> None:
        self.client = client
        self.indexes = indexes
        self.script = register_script(client, "import_article.lua")

    def load(self) -> None:
        """Make sure Redis (every master of a cluster) holds the script."""
        self.client.script_load(self.script.script)

    def write(
        self,
        site: str,
        rows: Sequence[ImportRow],
        reaction_keys: Sequence[str],
        now: float | None = None,
    ) -> ImportTally:
        """Set the imported counts of ``rows``; return what changed.

        ``reaction_keys`` is the site's whole set: a new article enters every index.
        """
        now = time.time() if now is None else now
        day, stamp = keys.day_of(now), iso(now)
        calls = []
        for row in rows:
            ah = keys.article_hash(row.article)
            article_key, _, history_key = keys.article_keys(site, ah)
            args: list[str] = [row.article, row.title or "", row.url or "", stamp, day]
            for reaction, count in row.counts.items():
                args += [reaction, str(count)]
            calls.append(evalsha(self.script, [article_key, history_key], args))
        # Loaded first, every batch (one short trip): on a cluster a NOSCRIPT from one node
        # after others ran their share could not simply be sent again.
        self.load()
        replies = read_commands(self.client, calls)
        tally = ImportTally()
        site_commands: list[tuple[str, ...]] = []
        titled: list[tuple[str, str]] = []
        site_moved: dict[str, int] = {}  # the site's counts and today's, summed over the batch
        ranked: list[tuple[str, ...]] = []  # the top list's ranking of today, by article id
        for row, reply in zip(rows, replies, strict=True):
            code, title_stored, *changes = (int(v) for v in reply)
            state = ImportState(code)
            if state == ImportState.NOT_MADE:
                continue
            ah = keys.article_hash(row.article)
            tally.articles += 1
            tally.imported += sum(row.counts.values())
            moved = dict(zip(row.counts, changes, strict=True))
            tally.change += sum(moved.values())
            site_commands += self._index_moves(site, ah, moved, reaction_keys, state, now)
            ranked += _rank_moves(site, day, row.article, moved)
            for reaction, change in moved.items():
                site_moved[reaction] = site_moved.get(reaction, 0) + change
            if state == ImportState.CREATED:
                tally.created += 1
                member = keys.title_member(row.title or row.article, ah)
                site_commands += [
                    ("ZADD", keys.site_key(site, "titles"), "0", member),
                    ("HSET", keys.site_key(site, "title-of"), ah, member),
                ]
            elif title_stored:
                titled.append((ah, keys.title_member(row.title or row.article, ah)))
        for reaction, change in site_moved.items():
            if change:
                site_commands += [
                    ("HINCRBY", keys.site_key(site, "counts"), reaction, str(change)),
                    ("HINCRBY", keys.site_key(site, "days"), f"{day}:{reaction}", str(change)),
                ]
        if ranked:  # a change back to 0 leaves no entry, as update_site.lua keeps them
            touched = sorted({command[1] for command in ranked})
            site_commands += ranked
            site_commands += [("ZREMRANGEBYSCORE", key, "0", "0") for key in touched]
            expires = str(int(now) - int(now) % 86400 + keys.RANK_DAYS * 86400)
            site_commands += [("EXPIREAT", key, expires) for key in touched]
        if site_commands:
            read_commands(self.client, site_commands)
        for ah, member in titled:  # an article that had none: rare, one script each
            self.indexes.set_title(site, ah, member)
        return tally

    @staticmethod
    def _index_moves(
        site: str,
        ah: str,
        moved: dict[str, int],
        reaction_keys: Sequence[str],
        state: ImportState,
        now: float,
    ) -> list[tuple[str, ...]]:
        commands: list[tuple[str, ...]] = []
        total = sum(moved.values())
        # Every article is in every index (update_site.lua does the same): a new one at 0
        # where nothing moves it (ZINCRBY puts it in where something does).
        if total:
            commands.append(("ZINCRBY", keys.index_key(site, "total"), str(total), ah))
        elif state == ImportState.CREATED:
            commands.append(("ZADD", keys.index_key(site, "total"), "NX", "0", ah))
        fresh = state == ImportState.CREATED
        for reaction in reaction_keys if fresh else moved:
            change = moved.get(reaction, 0)
            if change:
                commands.append(("ZINCRBY", keys.index_key(site, reaction), str(change), ah))
            elif fresh:
                commands.append(("ZADD", keys.index_key(site, reaction), "NX", "0", ah))
        if fresh:
            commands.append(("ZADD", keys.index_key(site, "recent"), "GT", str(int(now)), ah))
        return commands


def _rank_moves(site: str, day: str, article: str, moved: dict[str, int]) -> list[tuple[str, ...]]:
    """Return the commands that move today's top-list rankings by an import's changes: the
    imported counts enter them on the day of the import, as they enter the history."""
    total = sum(moved.values())
    changes = [*moved.items(), ("total", total)]
    return [
        ("ZINCRBY", keys.day_rank_key(site, day, sort), str(-change), article)
        for sort, change in changes
        if change
    ]
