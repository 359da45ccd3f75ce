"""A site's data read out whole and written back: what ``sites backup`` and ``restore`` move.

``store.backup`` reads a site's articles in batches (each article's hash, readers and
history, in one pipelined trip a batch) and writes them back under any site id, in
whatever Redis the store uses (one, or a Cluster: every write is one key's, so a
non-transactional pipeline sends each node its share). Restored articles are written
whole (each key deleted, then set), and the site's indexes are set to absolute values
(ZADD, never ZINCRBY), so a restore that stopped half way and is run again gives the same
result. The file format, its checks and its sections are ``widget/cli/backup.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from . import keys
from .client import Client, read_commands
from .imports import IMPORTED
from .reactions import ISO_FORMAT
from .top import RankRebuild

COUNT = "c:"
# An article hash's fields that a backup names; any other is kept as it is ("fields").
NAMED = ("id", "title", "url", "closed", "first", "last")
# The site's series kept whole (its counts are summed again from the articles).
SERIES = ("days", "refused")


def _epoch(stamp: str | None) -> int:
    if not stamp:
        return 0
    return int(datetime.strptime(stamp, ISO_FORMAT).replace(tzinfo=UTC).timestamp())


class SiteBackup:
    """Read a site's articles and series out; write them back under a site id."""

    def __init__(self, client: Client) -> None:
        self.client = client

    # -- read ------------------------------------------------------------------------

    def series(self, site: str) -> dict[str, dict[str, str]]:
        """Return the site's day series and refusals, each a hash as stored."""
        pipe = self.client.pipeline(transaction=False)
        for name in SERIES:
            pipe.hgetall(keys.site_key(site, name))
        return dict(zip(SERIES, pipe.execute(), strict=True))

    def articles(self, site: str, hashes: Sequence[str]) -> list[dict[str, Any]]:
        """Return the articles named by their hashes, each whole (an article reset: left out)."""
        replies = list(
            read_commands(
                self.client,
                [
                    command
                    for ah in hashes
                    for command in (
                        *(("HGETALL", key) for key in keys.article_keys(site, ah)),
                        ("LRANGE", keys.aliases_key(site, ah), "0", "-1"),
                    )
                ],
            )
        )
        found = []
        for i in range(0, len(replies), 4):
            fields, readers, history = (_as_dict(reply) for reply in replies[i : i + 3])
            aliases = replies[i + 3]
            if not fields.get("id"):
                continue
            article: dict[str, Any] = {name: fields.pop(name, None) for name in NAMED}
            article["closed"] = {"1": True, "0": False}.get(article["closed"] or "")
            article["counts"] = _take(fields, COUNT)
            article["imported"] = _take(fields, IMPORTED)
            article["fields"] = fields
            article["history"] = {day: int(change) for day, change in history.items()}
            article["readers"] = readers
            article["aliases"] = [str(alias) for alias in aliases]  # moved here, oldest first
            found.append(article)
        return found

    def batches(self, site: str, batch: int = 500) -> Iterator[list[dict[str, Any]]]:
        """Yield every article of the site, whole, in batches (memory: one batch)."""
        key = keys.index_key(site, "total")
        cursor = 0
        while True:
            cursor, pairs = self.client.zscan(key, cursor, count=batch)
            if pairs:
                yield self.articles(site, [str(member) for member, _ in pairs])
            if not cursor:
                return

    # -- write -----------------------------------------------------------------------

    def write_series(self, site: str, series: dict[str, Any]) -> None:
        """Set the site's day series and refusals to what a backup held."""
        pipe = self.client.pipeline(transaction=False)
        for name in SERIES:
            key = keys.site_key(site, name)
            pipe.delete(key)
            if series.get(name):
                pipe.hset(key, mapping=series[name])
        pipe.execute()

    def write_articles(
        self, site: str, articles: Sequence[dict[str, Any]], reaction_keys: Sequence[str]
    ) -> dict[str, int]:
        """Write articles whole (their indexes too); return the sum of their counts."""
        commands: list[tuple[str, ...]] = []
        sums: dict[str, int] = {}
        for article in articles:
            ah = keys.article_hash(article["id"])
            article_key, readers_key, history_key = keys.article_keys(site, ah)
            commands.append(("DEL", article_key, readers_key, history_key))  # one slot
            commands.append(("HSET", article_key, *_flat(_article_fields(article))))
            if article.get("readers"):
                commands.append(("HSET", readers_key, *_flat(article["readers"])))
            if article.get("history"):
                commands.append(("HSET", history_key, *_flat(article["history"])))
            counts = {r: int(article["counts"].get(r, 0)) for r in reaction_keys}
            for reaction, count in counts.items():
                sums[reaction] = sums.get(reaction, 0) + count
            commands += _index(site, ah, article, counts)
            commands += _aliases(site, ah, article)
        if commands:
            read_commands(self.client, commands)
        return sums

    def rankings(self, site: str, reaction_keys: Sequence[str]) -> RankRebuild:
        """Start the top list's day rankings of a restored site, built from its histories."""
        today = datetime.now(UTC).date()
        return RankRebuild(self.client, site, reaction_keys, today, "restore")

    def rank(self, rebuild: RankRebuild, articles: Sequence[dict[str, Any]]) -> None:
        """Add restored articles' recent days to the day rankings being built."""
        pipe = self.client.pipeline(transaction=False)
        for article in articles:
            rebuild.add(pipe, article["id"], {k: str(v) for k, v in article["history"].items()})
        pipe.execute()

    def add_readers(self, site: str, article: str, readers: dict[Any, Any]) -> None:
        """Add more of an article's readers (an article with many comes in several parts)."""
        _, readers_key, _ = keys.article_keys(site, keys.article_hash(article))
        self.client.hset(readers_key, mapping=readers)

    def add_counts(self, site: str, sums: dict[str, int]) -> None:
        """Set the site's total of each reaction (after every article was written)."""
        key = keys.site_key(site, "counts")
        self.client.delete(key)
        kept: dict[Any, Any] = {reaction: n for reaction, n in sums.items() if n}
        if kept:
            self.client.hset(key, mapping=kept)


def _index(
    site: str, ah: str, article: dict[str, Any], counts: dict[str, int]
) -> list[tuple[str, ...]]:
    """Return the commands that put a restored article in every index of its site."""
    member = keys.title_member(article.get("title") or article["id"], ah)
    return [
        ("ZADD", keys.index_key(site, "total"), str(sum(counts.values())), ah),
        *(("ZADD", keys.index_key(site, r), str(n), ah) for r, n in counts.items()),
        ("ZADD", keys.index_key(site, "recent"), str(_epoch(article.get("last"))), ah),
        ("ZADD", keys.site_key(site, "titles"), "0", member),
        ("HSET", keys.site_key(site, "title-of"), ah, member),
    ]


def _aliases(site: str, ah: str, article: dict[str, Any]) -> list[tuple[str, ...]]:
    """Return the commands that make an article's aliases again (moves.py's layout): each
    old id one field naming the article, and the article's list of them."""
    aliases = article.get("aliases") or []
    commands: list[tuple[str, ...]] = [("DEL", keys.aliases_key(site, ah))]
    if aliases:
        commands.append(("RPUSH", keys.aliases_key(site, ah), *aliases))
    for alias in aliases:
        alias_keys = keys.article_keys(site, keys.article_hash(alias))
        commands.append(("DEL", *alias_keys))
        commands.append(("HSET", alias_keys[0], "alias", article["id"]))
    return commands


def _as_dict(reply: Any) -> dict[str, str]:
    """Return an HGETALL reply as a dict (a pipeline's callback made one, or a flat list)."""
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2], strict=True))


def _flat(mapping: dict[Any, Any]) -> list[str]:
    return [str(part) for pair in mapping.items() for part in pair]


def _take(fields: dict[str, str], prefix: str) -> dict[str, int]:
    """Take the fields of one prefix out of an article's hash, as {reaction: number}."""
    names = [name for name in fields if name.startswith(prefix)]
    return {name[len(prefix) :]: int(fields.pop(name)) for name in names}


def _article_fields(article: dict[str, Any]) -> dict[Any, Any]:
    fields: dict[Any, Any] = {str(k): str(v) for k, v in (article.get("fields") or {}).items()}
    for name in NAMED:
        value = article.get(name)
        if name == "closed":
            value = None if value is None else ("1" if value else "0")
        if value is not None:
            fields[name] = str(value)
    fields.update({COUNT + r: str(int(n)) for r, n in article["counts"].items()})
    fields.update({IMPORTED + r: str(int(n)) for r, n in article.get("imported", {}).items()})
    return fields
