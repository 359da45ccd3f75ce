"""Moving and merging articles in the store, on one Redis and on a cluster.

What a publisher would notice: after a merge every count is the number of distinct readers
holding that reaction on either article, the history still sums to the counts, the site's
totals and indexes hold the moved article no more, and the old id keeps working for
readers (their switch and their withdrawal by either id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from tests.helpers import KEYS, react, zeros
from widget.store import (
    CapReached,
    MoveRefused,
    Store,
    Window,
    WindowLimited,
    article_hash,
    day_name,
    keys,
)
from widget.store.rebuild import rebuild_site_indexes

pytestmark = pytest.mark.on_cluster_too


def reader(n: int) -> str:
    return f"reader-{n:012d}"


def history_sum(store: Store, article: str) -> dict[str, int]:
    """Return the article's history summed over every day it holds."""
    _, _, history = keys.article_keys("demo", article_hash(article))
    sums = dict.fromkeys(KEYS, 0)
    for field, change in store.client.hgetall(history).items():
        sums[field.split(":", 1)[1]] += int(change)
    return sums


def site_state(store: Store) -> dict[str, Any]:
    """Return the site's totals and index scores, as they stand."""
    state: dict[str, Any] = {"counts": store.indexes.counts("demo", KEYS)}
    for name in ("total", "recent", *KEYS):
        pairs = store.client.zrange(keys.index_key("demo", name), 0, -1, withscores=True)
        state[name] = {m: s for m, s in pairs if name != "recent"} or sorted(m for m, _ in pairs)
    state["titles"] = sorted(store.client.zrange(keys.site_key("demo", "titles"), 0, -1))
    days = store.client.hgetall(keys.site_key("demo", "days"))
    state["days"] = {field: int(change) for field, change in days.items() if int(change)}
    return state


def assert_site_exact(store: Store) -> None:
    """The site's totals and indexes equal a rebuild from the articles themselves."""
    live = site_state(store)
    rebuild_site_indexes(store.client, "demo", KEYS)
    assert site_state(store) == live


def test_a_move_to_a_new_id_carries_everything(store: Store) -> None:
    react(store, reader(1), "love", "old", title="Old title", url="https://e.com/old")
    react(store, reader(2), "like", "old")
    store.articles.update("demo", "old", {"closed": "1"})
    before = store.articles.record("demo", "old", KEYS)
    moved = store.moves.move("demo", "old", "new", KEYS)
    assert moved.article == "new" and not moved.merged
    after = store.articles.record("demo", "new", KEYS)
    assert after is not None and before is not None
    assert (after.counts, after.title, after.url, after.closed) == (
        before.counts, before.title, before.url, True,
    )  # fmt: skip
    assert (after.first_reaction_at, after.last_reaction_at) == (
        before.first_reaction_at, before.last_reaction_at,
    )  # fmt: skip
    assert store.articles.record("demo", "old", KEYS) is None
    assert history_sum(store, "new") == after.counts
    assert store.moves.aliases("demo", "new") == ["old"]
    assert store.moves.resolve("demo", "old") == "new"
    assert_site_exact(store)
    assert site_state(store)["titles"] == [f"old title\0{article_hash('new')}"]


def test_a_merge_counts_each_reader_once(store: Store) -> None:
    # Readers 0-9 on `a` only, 10-19 on both (different or equal reactions), 20-24 on `b`.
    for n in range(20):
        react(store, reader(n), KEYS[n % 3], "a", title="A")
    for n in range(10, 25):
        react(store, reader(n), KEYS[n % 4], "b")
    holders: dict[str, set[str]] = {k: set() for k in KEYS}
    for n in range(25):
        kept = KEYS[n % 4] if n >= 10 else KEYS[n % 3]
        holders[kept].add(reader(n))
    moved = store.moves.move("demo", "a", "b", KEYS)
    assert moved.merged
    record = store.articles.record("demo", "b", KEYS)
    assert record is not None
    assert record.counts == {k: len(holders[k]) for k in KEYS}
    assert record.title == "A"  # b had none
    assert history_sum(store, "b") == record.counts
    assert_site_exact(store)
    assert site_state(store)["counts"] == record.counts
    assert set(site_state(store)["total"]) == {article_hash("b")}


def test_a_reader_switches_and_withdraws_by_either_id(store: Store) -> None:
    react(store, reader(1), "love", "a")
    react(store, reader(2), "like", "a")
    react(store, reader(3), "had", "b")
    store.moves.move("demo", "a", "b", KEYS)
    tallies = store.get_tallies("demo", ["a", "b"], KEYS, reader(1))
    assert tallies["a"].counts == tallies["b"].counts == zeros(love=1, like=1, had=1)
    assert tallies["a"].mine == "love"
    assert react(store, reader(1), "want", "a").counts == zeros(want=1, like=1, had=1)
    assert react(store, reader(1), None, "b").counts == zeros(like=1, had=1)
    assert react(store, reader(2), None, "a").counts == zeros(had=1)
    assert react(store, reader(4), "hated", "a").counts == zeros(had=1, hated=1)
    assert history_sum(store, "b") == zeros(had=1, hated=1)
    assert_site_exact(store)
    assert store.articles.record("demo", "a", KEYS) is None


def test_chains_flatten_and_cycles_are_refused(store: Store) -> None:
    react(store, reader(1), "love", "a")
    react(store, reader(2), "like", "c")
    store.moves.move("demo", "a", "b", KEYS)
    store.moves.move("demo", "b", "c", KEYS)
    assert store.moves.aliases("demo", "c") == ["a", "b"]
    assert store.moves.resolve("demo", "a") == "c"  # no alias names an alias
    assert react(store, reader(3), "want", "a").counts == zeros(love=1, like=1, want=1)
    with pytest.raises(MoveRefused) as cycle:
        store.moves.move("demo", "c", "a", KEYS)  # `a` is an alias of c itself
    assert cycle.value.code == "conflict"
    with pytest.raises(MoveRefused) as again:
        store.moves.move("demo", "a", "d", KEYS)
    assert again.value.code == "conflict"
    assert_site_exact(store)


def test_bad_moves_change_nothing(store: Store) -> None:
    react(store, reader(1), "love", "a")
    state = site_state(store)
    for source, target, code in (("a", "a", "bad_request"), ("nobody", "a", "not_found")):
        with pytest.raises(MoveRefused) as refused:
            store.moves.move("demo", source, target, KEYS)
        assert refused.value.code == code
    assert site_state(store) == state
    assert store.moves.resolve("demo", "nobody") is None


def test_an_alias_removed_starts_empty_and_a_reset_keeps_aliases(store: Store) -> None:
    react(store, reader(1), "love", "a")
    store.moves.move("demo", "a", "b", KEYS)
    store.articles.reset("demo", "b", KEYS)
    assert store.moves.aliases("demo", "b") == ["a"]
    assert store.moves.delete_alias("demo", "a") == "b"
    assert store.moves.delete_alias("demo", "a") is None
    assert store.moves.aliases("demo", "b") == []
    assert react(store, reader(1), "like", "a").counts == zeros(like=1)
    assert store.articles.record("demo", "a", KEYS) is not None
    assert_site_exact(store)


def test_a_merge_day_correction_is_in_the_days_of_the_site(store: Store) -> None:
    react(store, reader(1), "love", "a", now=86400 * 20000)
    react(store, reader(1), "like", "b", now=86400 * 20000)
    store.moves.move("demo", "a", "b", KEYS)
    today = day_name(datetime.now(UTC).date())
    _, _, history = keys.article_keys("demo", article_hash("b"))
    assert store.client.hget(history, f"{today}:love") == "-1"
    assert history_sum(store, "b") == zeros(like=1)
    assert_site_exact(store)


def test_an_alias_is_no_second_budget(store: Store) -> None:
    """The per-article window and the ballot-stuffing cap count the article an id names."""
    react(store, reader(1), "love", "a")
    store.moves.move("demo", "a", "b", KEYS)
    address = "address-hash"
    on = {name: keys.article_window_id(address, "demo", article_hash(name)) for name in "ab"}
    window = Window(keys.window_key(f"LIMITER/{on['a']}/x/1/1/minute"), 1, 60, "1 per 1 minute")
    react(store, reader(2), "like", "a", windows=[window])
    assert store.client.get(keys.moved_window(window.key, "demo", article_hash("a"),
                                              article_hash("b"))) == "1"  # fmt: skip
    assert store.client.get(window.key) is None
    with pytest.raises(WindowLimited):
        react(store, reader(3), "like", "a", windows=[window])
    react(store, reader(4), "want", "b", address=address, cap=1)
    with pytest.raises(CapReached):
        react(store, reader(5), "want", "a", address=address, cap=1)
    assert store.get_tallies("demo", ["b"], KEYS)["b"].counts == zeros(love=1, like=1, want=1)


def test_a_move_sent_again_answers_what_it_did(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """redis-py sends a script again after a timeout: the second run must not refuse."""
    react(store, reader(1), "love", "a")
    react(store, reader(2), "like", "b")
    script = (
        store.moves.move_script
        if isinstance(store.client, redis.Redis)
        else store.moves.step_script
    )

    def twice(*args: Any, **kwargs: Any) -> Any:
        script(*args, **kwargs)
        return script(*args, **kwargs)

    monkeypatch.setattr(store.moves, "move_script", twice)
    monkeypatch.setattr(store.moves, "step_script", twice)
    moved = store.moves.move("demo", "a", "b", KEYS)
    assert {k: moved.after.get(k, 0) for k in KEYS} == zeros(love=1, like=1) and moved.merged
    assert store.get_tallies("demo", ["b"], KEYS)["b"].counts == zeros(love=1, like=1)
    assert history_sum(store, "b") == zeros(love=1, like=1)
    assert_site_exact(store)


def milestone_events(store: Store) -> int:
    return sum(
        1
        for _, fields in store.client.xrange(keys.EVENTS_STREAM)
        if fields.get("type") == "article.milestone"
    )


def test_a_merge_keeps_the_milestones_either_article_reached(store: Store) -> None:
    def vote(article: str, n: int, reaction: str | None = "love") -> None:
        store.set_reaction("demo", article, reader(n), reaction, KEYS, milestones=[2])

    vote("/old", 1)
    vote("/old", 2)  # /old reaches 2: one event
    vote("/new", 3)
    assert milestone_events(store) == 1
    store.moves.move("demo", "/old", "/new", KEYS)  # 3 now; a move sends nothing
    vote("/new", 1, None)
    vote("/new", 2, None)  # down to 1
    vote("/new", 4)  # back to 2: reached before the merge, by /old, so nothing is sent
    assert milestone_events(store) == 1
