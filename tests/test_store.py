"""The store against a real Redis: counts, switches, withdrawals, history and indexes."""

from __future__ import annotations

import time

import pytest
import redis

from tests.helpers import KEYS, counting_round_trips, react, zeros
from widget.store import Store, Tally, article_hash, day_of, keys

# Every test here runs on one Redis and again on a real Redis Cluster (conftest.py).
pytestmark = pytest.mark.on_cluster_too


READER_A = "reader-aaaaaaaaaaaa"
READER_B = "reader-bbbbbbbbbbbb"


@pytest.mark.parametrize("reaction", KEYS)
def test_each_reaction_counts_once(store: Store, reaction: str) -> None:
    tally = react(store, READER_A, reaction)
    assert tally.counts == zeros(**{reaction: 1})
    assert tally.mine == reaction
    assert react(store, READER_A, reaction).counts == zeros(**{reaction: 1})  # a repeat


def test_switch_moves_exactly_one_count(store: Store) -> None:
    react(store, READER_A, "love")
    react(store, READER_B, "love")
    assert react(store, READER_A, "hated").counts == zeros(love=1, hated=1)


def test_withdraw_takes_the_count_back_and_never_below_zero(store: Store) -> None:
    react(store, READER_A, "like")
    assert react(store, READER_A, None).counts == zeros()
    assert react(store, READER_A, None).counts == zeros()  # withdrawing twice
    assert react(store, READER_B, None).counts == zeros()  # a reader who never reacted


def test_many_readers(store: Store) -> None:
    for i in range(8 * len(KEYS)):
        react(store, f"reader-{i:016d}", KEYS[i % len(KEYS)])
    assert store.get_tallies("demo", ["a1"], KEYS)["a1"].counts == dict.fromkeys(KEYS, 8)


def test_batch_read_is_one_round_trip_for_many_articles(store: Store) -> None:
    react(store, READER_A, "want", article="x")
    react(store, READER_A, "had", article="y")
    articles = ["x", "y", *(f"none-{i}" for i in range(98))]
    with counting_round_trips(store.client) as trips:
        tallies = store.get_tallies("demo", articles, KEYS, READER_A)
    # One Redis: one trip. A cluster: one to each master that holds some of the keys.
    masters = 1 if isinstance(store.client, redis.Redis) else len(store.client.get_primaries())
    assert 1 <= trips.count <= masters
    assert list(tallies) == articles
    assert tallies["x"].counts == zeros(want=1) and tallies["x"].mine == "want"
    assert tallies["y"].mine == "had"
    assert tallies["none-5"].counts == zeros() and tallies["none-5"].mine is None


def test_sites_are_separate(store: Store) -> None:
    store.set_reaction("one", "a1", READER_A, "love", KEYS)
    assert store.get_tallies("two", ["a1"], KEYS)["a1"].total == 0


def test_article_ids_with_braces_and_unicode_stay_separate(store: Store) -> None:
    ids = ["{a}", "{a}}", "a", "ü/{x}/ß", "x" * 512]
    for i, article in enumerate(ids):
        for n in range(i + 1):
            react(store, f"reader-{n:016d}", "love", article=article)
    tallies = store.get_tallies("demo", ids, KEYS)
    assert [tallies[a].counts["love"] for a in ids] == [1, 2, 3, 4, 5]


def test_history_sums_to_counts_over_days(store: Store) -> None:
    day = 86400
    start = time.time() - 3 * day
    react(store, READER_A, "love", now=start)
    react(store, READER_B, "love", now=start + day)
    react(store, READER_A, "hated", now=start + 2 * day)  # switch on a later day
    react(store, READER_B, None, now=start + 3 * day)
    days = [day_of(start + i * day) for i in range(4)]
    history = store.articles.days("demo", "a1", days, KEYS)
    assert [history[d]["love"] for d in days] == [1, 1, -1, -1]
    assert [history[d]["hated"] for d in days] == [0, 0, 1, 0]
    summed = {k: sum(history[d][k] for d in days) for k in KEYS}
    assert summed == store.get_tallies("demo", ["a1"], KEYS)["a1"].counts == zeros(hated=1)


def test_site_indexes_follow_the_counts(store: Store) -> None:
    react(store, READER_A, "love", article="popular")
    react(store, READER_B, "love", article="popular")
    react(store, READER_A, "hated", article="quiet")
    react(store, READER_A, "like", article="quiet")  # switch
    by_total = [score for _, score in store.indexes.page("demo", "total", 0, 10)]
    assert by_total == [2.0, 1.0]
    assert [s for _, s in store.indexes.page("demo", "love", 0, 10)] == [2.0, 0.0]
    assert [s for _, s in store.indexes.page("demo", "hated", 0, 10)] == [0.0, 0.0]
    assert store.indexes.counts("demo", KEYS) == zeros(love=2, like=1)
    assert store.indexes.article_count("demo") == 2


def test_metadata_is_kept(store: Store) -> None:
    react(store, READER_A, "love", title="Hello", url="https://example.com/a1")
    record = store.articles.record("demo", "a1", KEYS)
    assert record is not None
    assert (record.article, record.title, record.url) == ("a1", "Hello", "https://example.com/a1")
    assert record.first_reaction_at and record.first_reaction_at.endswith("Z")
    react(store, READER_B, "like", title="Hello, edited", url="https://evil.example/")
    record = store.articles.record("demo", "a1", KEYS)
    # Only the first counted reaction names the article; then it is the publisher's.
    assert record is not None and (record.title, record.url) == ("Hello", "https://example.com/a1")
    assert record.counts == zeros(love=1, like=1)
    assert store.articles.update("demo", "a1", {"title": "Hello, edited", "url": None})
    record = store.articles.record("demo", "a1", KEYS)
    assert record is not None and (record.title, record.url) == ("Hello, edited", None)
    assert not store.articles.update("demo", "never", {"title": "x"})
    assert store.articles.record("demo", "never", KEYS) is None


def test_reset_removes_counts_readers_history_and_index_entries(store: Store) -> None:
    react(store, READER_A, "love")
    react(store, READER_B, "want", article="other")
    assert store.articles.reset("demo", "a1", KEYS) is True
    assert (
        store.get_tallies("demo", ["a1"], KEYS, READER_A)["a1"]
        == store.get_tallies("demo", ["never"], KEYS, READER_A)["never"]
    )
    assert store.articles.record("demo", "a1", KEYS) is None
    assert store.indexes.counts("demo", KEYS) == zeros(want=1)
    assert store.indexes.article_count("demo") == 1
    # The reader may react again after a reset, and counts once.
    assert react(store, READER_A, "love").counts == zeros(love=1)
    assert store.articles.reset("demo", "never-reacted", KEYS) is False


def test_scripts_reload_after_script_flush(store: Store) -> None:
    react(store, READER_A, "love")
    store.client.script_flush()
    assert react(store, READER_B, "love").counts == zeros(love=2)
    store.client.script_flush()
    assert store.articles.reset("demo", "a1", KEYS) is True


def test_no_raw_reader_token_is_stored(store: Store) -> None:
    react(store, READER_A, "love")
    for key in store.client.scan_iter("*"):
        if store.client.type(key) == "hash":
            flat = " ".join(f"{k}={v}" for k, v in store.client.hgetall(key).items())
            assert READER_A not in flat


def test_a_failed_read_leaves_no_reply_for_the_next_read(store: Store) -> None:
    react(store, READER_A, "love", article="good")
    # Not a hash: the middle HMGET of the next read gets a WRONGTYPE error reply.
    store.client.set(keys.article_key("demo", article_hash("bad")), "not a hash")
    with pytest.raises(redis.ResponseError):
        store.get_tallies("demo", ["good", "bad", "other"], KEYS, READER_A)
    # The replies after the error must not be read as the answers of later reads.
    for _ in range(3):
        tally = store.get_tallies("demo", ["good", "other"], KEYS, READER_A)
        assert (tally["good"].counts, tally["good"].mine) == (zeros(love=1), "love")
        assert tally["other"] == Tally(zeros(), None)
