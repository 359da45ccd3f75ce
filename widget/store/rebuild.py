"""Rebuild a site's indexes from its articles (what ``flask --app widget reindex`` runs).

The per-site indexes (by total, by each reaction, by recency, by title, the site's
counts and its per-day series) are kept in step with the articles by deltas after each
article script. They live in another slot than the articles, so a failover that loses the
last writes of one node, or a crash between the script and its index update, can leave
them off by a few. This rebuilds them from what each article itself holds (its counts,
title, last reaction time and history), which is the source of truth.

Memory stays bounded: the article keys are found with SCAN (on every master of a
cluster), read and written in pipelined batches; only the site's counts and its day
series (days x reactions, not articles) are summed here. The new indexes are built under
temporary keys in the site's slot, then renamed over the old ones, so readers see the old
or the new index, never a half-built one (the top list's day rankings too: top.py).
Running it twice gives the same result.

Writes that land while it runs may be missed by the new indexes (run it again, or when
the service is stopped, for an exact result). Articles that were reset leave the site's
day series too: it becomes the sum of the articles' histories.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from . import keys
from .client import Client
from .reactions import ISO_FORMAT
from .top import RankRebuild

TEMP = "reindex"


@dataclass(frozen=True)
class ReindexResult:
    """What a rebuild of one site's indexes found."""

    site: str
    articles: int
    reactions: int
    days: int
    seconds: float


def _epoch(iso_time: str | None) -> int:
    if not iso_time:
        return 0
    parsed = datetime.strptime(iso_time, ISO_FORMAT).replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _article_hash_batches(client: Client, site: str, batch: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for key in client.scan_iter(match=keys.article_key(site, "*"), count=batch):
        chunk.append(keys.article_hash_in(str(key)))
        if len(chunk) >= batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rebuild_site_indexes(
    client: Client,
    site: str,
    reaction_keys: Sequence[str],
    batch: int = 500,
    done: Callable[[int], None] | None = None,
) -> ReindexResult:
    """Rebuild every per-site index of one site from its articles' own data.

    ``done(n)`` is told of each batch of n article keys read (a progress bar's).
    """
    started = time.monotonic()
    names = [*keys.SITE_INDEXES, *(f"by:{r}" for r in reaction_keys)]
    temp = {name: keys.site_key(site, f"{TEMP}:{name}") for name in names}
    client.delete(*temp.values())  # a run that was interrupted left these
    ranks = RankRebuild(client, site, reaction_keys, datetime.now(UTC).date(), TEMP)
    fields = ["first", "last", "id", "title", *(f"c:{r}" for r in reaction_keys)]
    first_count = 4
    counts: Counter[str] = Counter()
    days: Counter[str] = Counter()
    articles = 0
    for hashes in _article_hash_batches(client, site, batch):
        pipe = client.pipeline(transaction=False)
        for ah in hashes:
            article_key, _, history_key = keys.article_keys(site, ah)
            pipe.hmget(article_key, fields)
            pipe.hgetall(history_key)
        replies = pipe.execute()
        if done is not None:
            done(len(hashes))
        # An article key without a first reaction was only named (its one request
        # changed nothing): the live indexes never listed it either.
        found = [
            (ah, values, history)
            for ah, values, history in zip(hashes, replies[::2], replies[1::2], strict=True)
            if values[0]
        ]
        if not found:
            continue
        # SCAN may return a key twice; ZADD NX on the new total index says which
        # articles this run has not summed yet.
        pipe = client.pipeline(transaction=False)
        for ah, values, _ in found:
            total = sum(int(v or 0) for v in values[first_count:])
            pipe.zadd(temp["total"], {ah: total}, nx=True)
        new = pipe.execute()
        pipe = client.pipeline(transaction=False)
        for (ah, values, history), added in zip(found, new, strict=True):
            article_counts = dict(zip(reaction_keys, values[first_count:], strict=True))
            pipe.zadd(temp["recent"], {ah: _epoch(values[1])})
            for reaction, value in article_counts.items():
                pipe.zadd(temp[f"by:{reaction}"], {ah: int(value or 0)})
            # A to Z by title, an article without one by its id (set_reaction).
            member = keys.title_member(values[3] or values[2] or "", ah)
            pipe.zadd(temp["titles"], {member: 0})
            pipe.hset(temp["title-of"], ah, member)
            if added:
                articles += 1
                counts.update({r: int(v or 0) for r, v in article_counts.items()})
                days.update({day: int(change) for day, change in history.items()})
                ranks.add(pipe, values[2], history)
        pipe.execute()
    # Zeros are left out, as HMGET reads a missing field as 0.
    count_fields = [(r, n) for r, n in counts.items() if n]
    day_fields = [(d, n) for d, n in days.items() if n]
    if count_fields:
        client.hset(temp["counts"], mapping=dict(count_fields))
    for i in range(0, len(day_fields), batch):
        client.hset(temp["days"], mapping=dict(day_fields[i : i + batch]))
    # One slot ({site}), so RENAME works on a cluster too; it is not allowed in a
    # cluster pipeline, hence one command each. An index that came out empty is deleted.
    for name, temp_key in temp.items():
        live_key = keys.site_key(site, name)
        if client.exists(temp_key):
            client.rename(temp_key, live_key)
        else:
            client.delete(live_key)
    ranks.finish()
    return ReindexResult(
        site=site,
        articles=articles,
        reactions=sum(counts.values()),
        days=len({d.split(":", 1)[0] for d, _ in day_fields}),
        seconds=time.monotonic() - started,
    )
