"""``flask --app widget reindex``: lost or damaged site indexes come back exactly.

Every test here runs on one Redis and again on a real three-master Redis Cluster.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import KEYS
from widget.store import day_of, keys

# Every test here runs on one Redis and again on a real Redis Cluster (conftest.py).
pytestmark = pytest.mark.on_cluster_too


DAY = 86_400
# Yesterday: the summary's 30 days cover every reaction below (up to 20 days older).
NOW = float(int(time.time()) - DAY)
SORTS = ("total", "recent", "title", *KEYS)


@pytest.fixture
def reindex_key(make_site: Callable[..., str]) -> str:
    """Create the site 'demo' and its neighbour 'demo-2'; return demo's API key."""
    make_site("demo-2")
    return make_site("demo")


def fill(store: Any, site: str, articles: int, seed: int) -> None:
    """Write reactions over several days, with switches and withdrawals."""
    rng = random.Random(seed)
    for n in range(articles):
        # Each article's reactions in time order, as real ones come; over several days.
        start = NOW - rng.randint(0, 20) * DAY
        for reader in range(rng.randint(1, 6)):
            when = start + reader * 7200
            token = f"reader-{seed}-{reader:010d}"
            article = f"/post/{n}"
            # Some articles have no title: the title index sorts them by id.
            title = f"Post {n:03d}" if n % 4 else None
            store.set_reaction(site, article, token, rng.choice(KEYS), KEYS,
                               title=title, now=when)  # fmt: skip
            if rng.random() < 0.3:
                store.set_reaction(site, article, token, rng.choice((*KEYS, None)), KEYS,
                                   now=when + 3600)  # fmt: skip
    # Named by a request that changed nothing: never in any index.
    store.set_reaction(site, "/never-reacted", f"reader-{seed}-lurker00", None, KEYS, now=NOW)


def snapshot(client: Any, key: str, store: Any, site: str = "demo") -> dict[str, Any]:
    """Return what the publisher API and the store answer about a site."""
    auth = {"Authorization": f"Bearer {key}"}
    seen: dict[str, Any] = {}
    for sort in SORTS:
        res = client.get(f"/v1/sites/{site}/articles?sort={sort}&limit=200", headers=auth)
        assert res.status_code == 200
        seen[sort] = res.get_json()
    summary = client.get(f"/v1/sites/{site}/summary?days=30", headers=auth)
    assert summary.status_code == 200
    seen["summary"] = summary.get_json()
    seen["counts"] = store.indexes.counts(site, KEYS)
    seen["articles"] = store.indexes.article_count(site)
    days = [day_of(NOW - n * DAY) for n in range(-2, 25)]
    seen["days"] = store.indexes.days(site, days, KEYS)
    # Every index as Redis holds it (a zero in a hash reads as a missing field).
    for name in ("total", "recent", "titles", *(f"by:{r}" for r in KEYS)):
        seen[name + " index"] = store.client.zrange(keys.site_key(site, name), 0, -1,
                                                    withscores=True)  # fmt: skip
    for name in ("counts", "days", "title-of"):
        values = store.client.hgetall(keys.site_key(site, name))
        seen[name + " index"] = {k: v for k, v in values.items() if v != "0"}
    return seen


def damage(store: Any, site: str = "demo") -> None:
    """Lose some indexes and corrupt the others, as a failover or a crash could."""
    client = store.client
    site_key = keys.site_key
    client.delete(site_key(site, "total"), site_key(site, "by:love"), site_key(site, "days"))
    client.delete(site_key(site, "title-of"))
    client.zadd(site_key(site, "titles"), {"aaa\0" + "0" * 20: 0})
    client.zadd(site_key(site, "recent"), {"0" * 20: 1})
    client.zadd(site_key(site, "by:like"), {"f" * 20: 7})
    client.hincrby(site_key(site, "counts"), "hated", 5)
    client.hset(site_key(site, "reindex:total"), "junk", 1)  # left by an interrupted run


def test_reindex_rebuilds_lost_and_corrupted_indexes_exactly(
    app: Any, client: Any, runner: Any, store: Any, reindex_key: str
) -> None:
    fill(store, "demo", articles=45, seed=1)
    fill(store, "demo-2", articles=5, seed=2)
    before = snapshot(client, reindex_key, store)
    other_before = (store.indexes.counts("demo-2", KEYS), store.indexes.article_count("demo-2"))
    assert before["articles"] == 45 and sum(before["counts"].values()) > 45

    damage(store)
    assert snapshot(client, reindex_key, store) != before

    result = runner.invoke(args=["reindex", "demo", "--batch", "10"])
    assert result.exit_code == 0, result.output
    total = sum(before["counts"].values())
    assert f"reindexed 'demo': 45 articles, {total} reactions" in result.output
    assert snapshot(client, reindex_key, store) == before
    assert (
        store.indexes.counts("demo-2", KEYS),
        store.indexes.article_count("demo-2"),
    ) == other_before
    assert not store.client.exists(keys.site_key("demo", "reindex:total"))

    # Idempotent: again, and for every site, nothing changes.
    again = runner.invoke(args=["reindex"])
    assert again.exit_code == 0, again.output
    assert "reindexed 'demo': 45 articles" in again.output
    assert "reindexed 'demo-2': 5 articles" in again.output
    assert snapshot(client, reindex_key, store) == before


def test_reindex_then_reactions_keep_the_indexes_in_step(
    app: Any, client: Any, runner: Any, store: Any, reindex_key: str
) -> None:
    fill(store, "demo", articles=8, seed=3)
    damage(store)
    assert runner.invoke(args=["reindex", "demo"]).exit_code == 0
    store.set_reaction("demo", "/post/1", "reader-after-reindex", "hated", KEYS, now=NOW)
    store.set_reaction("demo", "/post/new", "reader-after-reindex", "love", KEYS, now=NOW)
    rebuilt = snapshot(client, reindex_key, store)
    assert runner.invoke(args=["reindex", "demo"]).exit_code == 0
    assert snapshot(client, reindex_key, store) == rebuilt
    assert rebuilt["articles"] == 9


def test_reindex_of_a_site_without_reactions_empties_its_indexes(
    app: Any, runner: Any, store: Any, reindex_key: str
) -> None:
    store.client.zadd(keys.site_key("demo", "total"), {"a" * 20: 3})
    result = runner.invoke(args=["reindex", "demo"])
    assert result.exit_code == 0, result.output
    assert "reindexed 'demo': 0 articles, 0 reactions" in result.output
    assert store.indexes.article_count("demo") == 0


def test_reindex_of_an_unknown_site_is_a_one_line_error(app: Any, runner: Any) -> None:
    result = runner.invoke(args=["reindex", "nope"])
    assert result.exit_code == 1
    assert "there is no site 'nope'" in result.output
    assert "Traceback" not in result.output
