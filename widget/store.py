"""The one class that owns every Redis key and script of the service.

Key layout (``{...}`` is the Redis Cluster hash tag):

    rx:a:{<site>|<ah>}        hash   one article: "c:<reaction>" counts, id, title, url,
                                     first, last (ISO 8601 UTC), closed ("1": the
                                     publisher closed voting, "0": reopened it)
    rx:r:{<site>|<ah>}        hash   reader digest -> reaction key
    rx:h:{<site>|<ah>}        hash   "<yyyymmdd>:<reaction>" -> net change that day
    rx:s:{<site>}:total       zset   article hash -> total       (per-site indexes,
    rx:s:{<site>}:by:<r>      zset   article hash -> count of r   updated after the
    rx:s:{<site>}:recent      zset   article hash -> last epoch   article script, by
    rx:s:{<site>}:counts      hash   reaction -> site total       update_site.lua)
    rx:s:{<site>}:days        hash   "<yyyymmdd>:<reaction>" -> net change that day
    rx:x:{<site>|<ah>}:<day>  hash   address hash -> new reactions it added that day (the
                                     ballot-stuffing cap; expires after 2 days)
    rx:s:{<site>}:refused     hash   "<yyyymmdd>" -> reactions the cap refused that day
    rx:o:{<site>|<ah>}:<op>   string one reaction call's result, under a random id of the
                                     call, so that a script re-sent after a timeout answers
                                     what its first run did (expires after a minute)
    rx:s:{<site>}:o:<op>      string "this call's site-index update was applied" (a minute)
    rx:s:{<site>}:titles      zset   "<casefolded title>\0<ah>" scored 0: articles A to Z
    rx:s:{<site>}:title-of    hash   article hash -> its member of :titles
    rx:rl:LIMITER/<key>/...   string a rate-limit window (flask-limiter; <key> is a hash)
    rx:{sites}:site:<site>    string the site's settings, JSON
    rx:{sites}:all            set    every site id

``<ah>`` is a digest of the article id: ids are up to 512 bytes of any printable text,
and a ``{`` or ``}`` in them must not change which slot an article's keys live in.

One article's keys share a hash tag, so each script touches one slot. The per-site
indexes live in another slot; they are moved by deltas (ZINCRBY, HINCRBY), which commute,
so racing writers leave them exact. The store knows nothing of Flask.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any, cast

import hiredis
import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.retry import Retry

from .cluster import LazyCluster

# hiredis's stub types its argument as a one-item tuple; it takes any number of items.
_pack_command = cast(Callable[[tuple[str, ...]], bytes], hiredis.pack_command)

PREFIX = "rx"
SITES_TAG = "{sites}"

Client = redis.Redis | RedisCluster

STORAGE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.MasterDownError,
    redis.exceptions.ReadOnlyError,
    # Raised by RedisCluster when no node answers, or a slot has no master. (Our keys never
    # cross slots in one command, so its other use, a cross-slot command, cannot happen.)
    redis.exceptions.RedisClusterException,
)


def connect(
    url: str, *, cluster: bool = False, socket_timeout: float = 0.5, retries: int = 1
) -> Client:
    """Return a Redis client that fails fast: short timeouts, a short retry with backoff."""
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": socket_timeout,
        "retry": Retry(ExponentialBackoff(cap=0.1, base=0.01), retries),
        # No health_check_interval: its PING has a retry of its own, nested inside the
        # connect's, which doubled the wait for a 503 on a paused Redis (2 s instead of 1).
        # A dead idle connection is caught by the retry on the command instead.
        "retry_on_error": [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
    }
    if cluster:
        # RedisCluster retries a failed command itself (with `retry`, after re-reading the
        # slot map on MOVED or a dead node), so no per-connection retry on top of it.
        options.pop("retry_on_error")
        # Connected on first use, so the service starts (and answers 503) while the
        # cluster is down.
        return cast(RedisCluster, LazyCluster(url, options))
    return redis.Redis.from_url(url, **options)


def reader_digest(token: str) -> str:
    """Return what is stored for a reader token: a 96-bit digest, never the token."""
    digest = hashlib.blake2b(token.encode(), digest_size=12, person=b"rx-reader-v1").digest()
    return base64.urlsafe_b64encode(digest).decode()


def article_hash(article: str) -> str:
    """Return the short digest that names an article in Redis keys."""
    return hashlib.blake2b(article.encode(), digest_size=10, person=b"rx-article-v1").hexdigest()


def iso(epoch: float) -> str:
    """Return an epoch time as ISO 8601 UTC with a Z."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_of(epoch: float) -> str:
    """Return the UTC day of an epoch time as yyyymmdd."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d")


TITLE_SORT_CHARS = 100


def title_member(title: str, ah: str) -> str:
    """Return an article's member of its site's title index: sorts by title, then hash."""
    return f"{title.casefold()[:TITLE_SORT_CHARS]}\0{ah}"


def member_hash(member: str) -> str:
    """Return the article hash at the end of a title index member."""
    return member.rpartition("\0")[2]


# The cap hash covers one UTC day; it lives two so that a day's last writes keep it.
CAP_TTL_SECONDS = 2 * 24 * 3600
# How long a call's result and its "site indexes moved" marker are kept: far longer than
# redis-py's retry of a timed-out script (REDIS_SOCKET_TIMEOUT and a short backoff).
ONCE_TTL_SECONDS = 60


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

    @property
    def total(self) -> int:
        """Return the sum of the counts."""
        return sum(self.counts.values())


class Store:
    """Every Redis key and script of the service, around one shared client."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._set_reaction = self._script("set_reaction.lua")
        self._reset_article = self._script("reset_article.lua")
        self._index_after = self._script("index_after.lua")
        self._index_title = self._script("index_title.lua")
        self._update_site = self._script("update_site.lua")

    def _script(self, name: str) -> Script:
        source = resources.files("widget").joinpath("lua", name).read_text("utf-8")
        # register_script re-sends the source after a NOSCRIPT (a restart, SCRIPT FLUSH).
        return self.client.register_script(source)

    # -- keys -------------------------------------------------------------------------

    @staticmethod
    def _article_keys(site: str, ah: str) -> tuple[str, str, str]:
        tag = f"{{{site}|{ah}}}"
        return f"{PREFIX}:a:{tag}", f"{PREFIX}:r:{tag}", f"{PREFIX}:h:{tag}"

    @staticmethod
    def _cap_key(site: str, ah: str, day: str) -> str:
        return f"{PREFIX}:x:{{{site}|{ah}}}:{day}"

    @staticmethod
    def _site_key(site: str, name: str) -> str:
        return f"{PREFIX}:s:{{{site}}}:{name}"

    def _index_key(self, site: str, sort: str) -> str:
        """Return the zset that orders a site's articles by total, recency or a reaction."""
        if sort in {"total", "recent"}:
            return self._site_key(site, sort)
        return self._site_key(site, f"by:{sort}")

    # -- health -----------------------------------------------------------------------

    def ping(self) -> bool:
        """Return whether Redis answers."""
        return bool(self.client.ping())

    # -- readers ----------------------------------------------------------------------

    def set_reaction(
        self,
        site: str,
        article: str,
        reader: str,
        reaction: str | None,
        reaction_keys: Sequence[str],
        *,
        title: str | None = None,
        url: str | None = None,
        now: float | None = None,
        address: str | None = None,
        cap: int = 0,
        closes_before: str = "",
    ) -> Tally:
        """Set (or, with None, withdraw) one reader's reaction and return the new counts.

        With an ``address`` hash and a ``cap`` > 0, a reader with no reaction to the article
        may add one only while that address added fewer than ``cap`` today; otherwise
        nothing changes, the refusal is counted for the site, and CapReached is raised.
        On an article the publisher closed, or whose first reaction is at or before
        ``closes_before`` (ISO 8601), nothing changes and ArticleClosed is raised.
        """
        now = time.time() if now is None else now
        ah = article_hash(article)
        day = day_of(now)
        capped = bool(address) and cap > 0
        # One id per call: a retry of the same call (by redis-py) is recognised as such.
        op = secrets.token_hex(8)
        result = self._set_reaction(
            keys=[
                *self._article_keys(site, ah),
                self._cap_key(site, ah, day),
                f"{PREFIX}:o:{{{site}|{ah}}}:{op}",
            ],
            args=[
                reader_digest(reader),
                reaction or "",
                day,
                iso(now),
                article,
                title or "",
                url or "",
                (address or "") if capped else "",
                cap,
                CAP_TTL_SECONDS,
                ONCE_TTL_SECONDS,
                closes_before,
                *reaction_keys,
            ],
        )
        changed, decremented, fresh = int(result[0]), result[1], int(result[2])
        if changed == -2:
            raise ArticleClosed(article)
        if changed < 0:
            self.client.hincrby(self._site_key(site, "refused"), day, 1)
            raise CapReached(article)
        counts = dict(zip(reaction_keys, (int(c) for c in result[3:]), strict=True))
        if changed:
            # Only with a change of counts: a repeated request costs no extra trip.
            member = title_member(title or article, ah) if title or fresh else ""
            self._update_site_indexes(
                site,
                ah,
                decremented or None,
                reaction,
                now,
                day,
                op,
                reaction_keys if fresh else (),
                member,
            )
        return Tally(counts=counts, mine=reaction)

    def _set_title_member(self, site: str, ah: str, member: str) -> None:
        keys = [self._site_key(site, "titles"), self._site_key(site, "title-of")]
        self._index_title(keys=keys, args=[ah, member])

    def _update_site_indexes(
        self,
        site: str,
        ah: str,
        old: str | None,
        new: str | None,
        now: float,
        day: str,
        op: str,
        fresh_keys: Sequence[str],
        title: str,
    ) -> None:
        # One script for every site-slot change of the call (deltas, a new article's entry
        # in every index, its title): one round trip, applied once per call id.
        total = self._site_key(site, "total")
        self._update_site(
            keys=[
                self._site_key(site, f"o:{op}"),
                total,
                self._site_key(site, "counts"),
                self._site_key(site, "days"),
                self._site_key(site, "recent"),
                self._index_key(site, old) if old else total,
                self._index_key(site, new) if new else total,
                self._site_key(site, "titles"),
                self._site_key(site, "title-of"),
                *(self._index_key(site, key) for key in fresh_keys),
            ],
            args=[
                ah,
                old or "",
                new or "",
                day,
                int(now),
                ONCE_TTL_SECONDS,
                1 if fresh_keys else 0,
                title,
            ],
        )

    def get_tallies(
        self,
        site: str,
        articles: Sequence[str],
        reaction_keys: Sequence[str],
        reader: str | None = None,
    ) -> dict[str, Tally]:
        """Return the counts of many articles (and the reader's own reactions) in one trip."""
        fields = [*(f"c:{key}" for key in reaction_keys), "first", "closed"]
        digest = reader_digest(reader) if reader else None
        commands: list[tuple[str, ...]] = []
        for article in articles:
            article_key, readers_key, _ = self._article_keys(site, article_hash(article))
            commands.append(("HMGET", article_key, *fields))
            if digest:
                commands.append(("HGET", readers_key, digest))
        replies = iter(self._read_commands(commands))
        tallies: dict[str, Tally] = {}
        for article in articles:
            values = next(replies)
            mine = next(replies) if digest else None
            *values, first, closed = values
            counts = {k: int(v or 0) for k, v in zip(reaction_keys, values, strict=True)}
            tallies[article] = Tally(counts, mine, first, None if closed is None else closed == "1")
        return tallies

    def _read_commands(self, commands: Sequence[tuple[str, ...]]) -> list[Any]:
        """Send read commands with no reply callbacks, and return their replies, in one trip."""
        client = self.client
        if not isinstance(client, redis.Redis):
            # A cluster's pipeline sends each node its share of the keys.
            pipe = self.client.pipeline(transaction=False)
            for command in commands:
                pipe.execute_command(*command, keys=[command[1]])
            return list(pipe.execute())
        # redis-py's pipeline spends about 10 us of Python on each command (queueing,
        # packing argument by argument, each reply through its callbacks): 70% of the
        # CPU of a 100-article read. These replies need no callback, so hiredis packs the
        # commands at once and they are read straight off one pooled connection, with
        # the client's retry, as Redis.execute_command does for one command.
        packed = [b"".join([_pack_command(command) for command in commands])]
        pool = client.connection_pool
        conn: Any = pool.get_connection()  # redis-py's connections are not typed

        def attempt() -> list[Any]:
            conn.send_packed_command(packed)
            return [conn.read_response() for _ in commands]

        try:
            return conn.retry.call_with_retry(attempt, lambda _error: conn.disconnect())  # type: ignore[no-any-return]
        except BaseException:
            conn.disconnect()  # unread replies must not reach the connection's next user
            raise
        finally:
            pool.release(conn)

    def reset_article(self, site: str, article: str, reaction_keys: Sequence[str]) -> bool:
        """Remove an article's counts, readers and history; return whether it existed."""
        ah = article_hash(article)
        result = self._reset_article(keys=self._article_keys(site, ah), args=list(reaction_keys))
        existed = bool(int(result[0]))
        counts = dict(zip(reaction_keys, (int(c) for c in result[1:]), strict=True))
        day = day_of(time.time())
        pipe = self.client.pipeline(transaction=False)
        for key in ("total", "recent", *reaction_keys):
            pipe.zrem(self._index_key(site, key), ah)
        for reaction, count in counts.items():
            if count:
                pipe.hincrby(self._site_key(site, "counts"), reaction, -count)
                pipe.hincrby(self._site_key(site, "days"), f"{day}:{reaction}", -count)
        pipe.execute()
        self._set_title_member(site, ah, "")
        return existed

    # -- publishers -------------------------------------------------------------------

    def article_count(self, site: str) -> int:
        """Return how many articles of the site have had a reaction."""
        return int(self.client.zcard(self._site_key(site, "total")))

    def site_counts(self, site: str, reaction_keys: Sequence[str]) -> dict[str, int]:
        """Return the site's total count of each reaction."""
        values = self.client.hmget(self._site_key(site, "counts"), list(reaction_keys))
        return {k: int(v or 0) for k, v in zip(reaction_keys, values, strict=True)}

    def site_days(
        self, site: str, days: Sequence[str], reaction_keys: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Return the site's net change of each reaction on each day (yyyymmdd)."""
        return self._days(self._site_key(site, "days"), days, reaction_keys)

    def refused_days(self, site: str, days: Sequence[str]) -> dict[str, int]:
        """Return how many new reactions the per-address cap refused on each day (yyyymmdd)."""
        values = self.client.hmget(self._site_key(site, "refused"), list(days)) if days else []
        return {day: int(v or 0) for day, v in zip(days, values, strict=True)}

    def article_days(
        self, site: str, article: str, days: Sequence[str], reaction_keys: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Return an article's net change of each reaction on each day (yyyymmdd)."""
        _, _, history_key = self._article_keys(site, article_hash(article))
        return self._days(history_key, days, reaction_keys)

    def _days(
        self, key: str, days: Sequence[str], reaction_keys: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        fields = [f"{day}:{r}" for day in days for r in reaction_keys]
        values = iter(self.client.hmget(key, fields) if fields else [])
        return {day: {r: int(next(values) or 0) for r in reaction_keys} for day in days}

    def article_records(
        self, site: str, hashes: Sequence[str], reaction_keys: Sequence[str]
    ) -> list[ArticleRecord]:
        """Return the metadata and counts of articles named by their hashes, in one trip."""
        fields = ["id", "title", "url", "first", "last", *(f"c:{k}" for k in reaction_keys)]
        pipe = self.client.pipeline(transaction=False)
        for ah in hashes:
            pipe.hmget(self._article_keys(site, ah)[0], fields)
        records = []
        for values in pipe.execute():
            if values[0] is None:  # reset between the index read and this one
                continue
            counts = {k: int(v or 0) for k, v in zip(reaction_keys, values[5:], strict=True)}
            records.append(
                ArticleRecord(
                    article=values[0],
                    title=values[1],
                    url=values[2],
                    counts=counts,
                    first_reaction_at=values[3],
                    last_reaction_at=values[4],
                )
            )
        return records

    def article_record(
        self, site: str, article: str, reaction_keys: Sequence[str]
    ) -> ArticleRecord | None:
        """Return one article's metadata and counts, or None if nobody reacted to it."""
        records = self.article_records(site, [article_hash(article)], reaction_keys)
        return records[0] if records else None

    def index_page(self, site: str, sort: str, start: int, count: int) -> list[tuple[str, float]]:
        """Return (article hash, score) pairs of a site index, highest score first."""
        pairs: list[Any] = self.client.zrevrange(
            self._index_key(site, sort), start, start + count - 1, withscores=True
        )
        return [(str(m), float(s)) for m, s in pairs]

    def index_rank(self, site: str, sort: str, ah: str) -> tuple[int, float] | None:
        """Return an article's rank (highest first) and score in a site index."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zrevrank(self._index_key(site, sort), ah)
        pipe.zscore(self._index_key(site, sort), ah)
        rank, score = pipe.execute()
        return None if rank is None else (int(rank), float(score))

    def index_after(
        self, site: str, sort: str, score: float, member: str, count: int
    ) -> list[tuple[str, float]]:
        """Return the index entries right after (score, member), highest score first."""
        pairs = self._index_after(
            keys=[self._index_key(site, sort)], args=[repr(float(score)), member, count]
        )
        it = iter(pairs)
        return [(str(m), float(s)) for m, s in zip(it, it, strict=True)]

    def title_page(self, site: str, after: str | None, count: int) -> list[str]:
        """Return members of the site's title index (A to Z) right after ``after``."""
        start = "-" if after is None else "(" + after
        members: list[Any] = self.client.zrangebylex(
            self._site_key(site, "titles"), start, "+", start=0, num=count
        )
        return [str(m) for m in members]

    def scan_article_hashes(self, site: str, batch: int = 500) -> Iterator[list[str]]:
        """Yield every article hash of a site in batches, in no order (ZSCAN).

        Unlike paging by rank, an article whose score changes meanwhile is still seen;
        one may come twice only if the index is resized during the scan.
        """
        key = self._site_key(site, "total")
        cursor = 0
        while True:
            cursor, pairs = self.client.zscan(key, cursor, count=batch)
            if pairs:
                yield [str(m) for m, _ in pairs]
            if not cursor:
                return

    # -- sites ------------------------------------------------------------------------

    def _site_record_key(self, site: str) -> str:
        return f"{PREFIX}:{SITES_TAG}:site:{site}"

    def _sites_key(self) -> str:
        return f"{PREFIX}:{SITES_TAG}:all"

    def load_site(self, site: str) -> dict[str, Any] | None:
        """Return a site's stored settings, or None."""
        raw = self.client.get(self._site_record_key(site))
        return json.loads(raw) if raw else None

    def load_sites(self) -> list[dict[str, Any]]:
        """Return every site's stored settings, by id."""
        ids = sorted(str(s) for s in self.client.smembers(self._sites_key()))
        if not ids:
            return []
        raws = self.client.mget([self._site_record_key(s) for s in ids])
        return [json.loads(raw) for raw in raws if raw]

    def create_site(self, site: str, record: dict[str, Any]) -> bool:
        """Store a new site; return False if the id is taken."""
        if not self.client.set(self._site_record_key(site), json.dumps(record), nx=True):
            return False
        self.client.sadd(self._sites_key(), site)
        return True

    def save_site(self, site: str, record: dict[str, Any]) -> None:
        """Replace a site's stored settings."""
        self.client.set(self._site_record_key(site), json.dumps(record))

    def delete_site(self, site: str, reaction_keys: Sequence[str]) -> None:
        """Delete a site with every key of its articles."""
        for hashes in self._drain_article_hashes(site):
            pipe = self.client.pipeline(transaction=False)
            for ah in hashes:
                for key in self._article_keys(site, ah):
                    pipe.delete(key)
            pipe.execute()
        pipe = self.client.pipeline(transaction=False)
        for name in ("total", "recent", "counts", "days", "refused", "titles", "title-of"):
            pipe.delete(self._site_key(site, name))
        for key in reaction_keys:
            pipe.delete(self._index_key(site, key))
        pipe.execute()
        # Keys that expire by themselves (the cap's, the once-markers of recent calls) are
        # not listed anywhere: found by a scan, which a rare delete can afford.
        for pattern in (
            f"{PREFIX}:x:{{{site}|*",
            f"{PREFIX}:o:{{{site}|*",
            self._site_key(site, "o:*"),
        ):
            self._delete_matching(pattern)
        self.client.delete(self._site_record_key(site))
        self.client.srem(self._sites_key(), site)

    def _delete_matching(self, pattern: str) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key in self.client.scan_iter(match=pattern, count=1000):
            pipe.delete(key)  # one key a command: the keys may be in different slots
        pipe.execute()

    def _drain_article_hashes(self, site: str, batch: int = 1000) -> Iterable[list[str]]:
        # Read from the start each time: the caller deletes what it was given.
        key = self._site_key(site, "total")
        while True:
            page = [str(m) for m in self.client.zrange(key, 0, batch - 1)]
            if not page:
                return
            yield page
            self.client.zrem(key, *page)


__all__ = [
    "STORAGE_ERRORS",
    "ArticleClosed",
    "ArticleRecord",
    "CapReached",
    "Store",
    "Tally",
    "article_hash",
    "connect",
    "reader_digest",
]
