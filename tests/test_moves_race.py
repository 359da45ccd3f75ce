"""A reaction that races a move is counted once, on ``to``: neither lost nor counted twice.

On one Redis the move is one script, so a reaction comes before or after it whole. On a
cluster the move runs in steps on up to three nodes (store/moves.py): here threads post
reactions to ``from`` the whole time, the steps are slowed so that reactions surely land
between them, and one reaction is made to pass its checks before the move and write
after it. Every reader who was told "counted" must be counted exactly once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.helpers import KEYS, react
from tests.test_moves_store import assert_site_exact, history_sum
from widget.store import Store, article_hash, keys

pytestmark = [pytest.mark.on_cluster_too, pytest.mark.slow]


@pytest.fixture
def slow_steps(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Slow every step of a cluster's move (and the one script of one Redis) by 50 ms."""
    done: list[str] = []
    for name in ("step_script", "move_script"):
        script = getattr(store.moves, name)

        def slowed(*args: Any, _script: Any = script, **kwargs: Any) -> Any:
            reply = _script(*args, **kwargs)
            done.append(str(kwargs.get("args", ["one"])[0]))
            time.sleep(0.05)
            return reply

        monkeypatch.setattr(store.moves, name, slowed)
    yield done


def test_reactions_racing_a_move_count_once(store: Store, slow_steps: list[str]) -> None:
    for n in range(10):
        react(store, f"before-{n:010d}", KEYS[n % 5], "from")
    for n in range(5, 15):  # 5-9 hold a reaction on both: they keep the one on `to`
        react(store, f"before-{n:010d}", "hated", "to")
    counted: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def post(worker: int) -> None:
        n = 0
        while not stop.is_set() or n < 5:
            reader, reaction = f"racer-{worker}-{n:06d}", KEYS[(worker + n) % 5]
            try:
                react(store, reader, reaction, "from")
            except BaseException as exc:  # a failed reaction fails the test
                errors.append(exc)
                return
            counted.append((reader, reaction))
            n += 1

    threads = [threading.Thread(target=post, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    store.moves.move("demo", "from", "to", KEYS)
    time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(10)
    assert not errors, errors[0]
    assert slow_steps, "the move ran no step"
    expected = dict.fromkeys(KEYS, 0)
    for n in range(15):
        expected["hated" if n >= 5 else KEYS[n % 5]] += 1
    for _, reaction in counted:
        expected[reaction] += 1
    record = store.articles.record("demo", "to", KEYS)
    assert record is not None
    assert record.counts == expected, f"{len(counted)} racing reactions"
    readers = store.client.hgetall(keys.article_keys("demo", article_hash("to"))[1])
    assert len(readers) == 15 + len(counted)
    assert history_sum(store, "to") == expected
    assert store.articles.record("demo", "from", KEYS) is None
    assert_site_exact(store)


def test_a_reaction_checked_before_the_move_and_written_after_counts_once(
    store: Store, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "cluster":
        pytest.skip("one Redis checks and writes a reaction in one script")
    react(store, "reader-aaaaaaaaaaaa", "love", "from")
    react(store, "reader-bbbbbbbbbbbb", "like", "to")
    write = store.writes._write

    def raced_write(*args: Any) -> Any:
        monkeypatch.setattr(store.writes, "_write", write)  # once
        store.moves.move("demo", "from", "to", KEYS)
        return write(*args)

    monkeypatch.setattr(store.writes, "_write", raced_write)
    tally = react(store, "reader-cccccccccccc", "want", "from")
    assert tally.counts == {"love": 1, "like": 1, "want": 1, "had": 0, "hated": 0}
    assert history_sum(store, "to") == tally.counts
    assert_site_exact(store)
    assert store.client.zscore(keys.index_key("demo", "total"), article_hash("from")) is None


def test_a_move_cut_short_on_a_cluster_is_finished_by_running_it_again(
    store: Store, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "cluster":
        pytest.skip("one Redis moves in one script: nothing to cut")
    react(store, "reader-aaaaaaaaaaaa", "love", "from")
    react(store, "reader-bbbbbbbbbbbb", "like", "from")
    react(store, "reader-aaaaaaaaaaaa", "like", "to")
    step = store.moves.step_script

    def cut(*args: Any, **kwargs: Any) -> Any:
        if kwargs["args"][0] == "finish":
            raise ConnectionError("the node went away")
        return step(*args, **kwargs)

    monkeypatch.setattr(store.moves, "step_script", cut)
    with pytest.raises(ConnectionError):
        store.moves.move("demo", "from", "to", KEYS)
    monkeypatch.setattr(store.moves, "step_script", step)
    monkeypatch.setattr("widget.store.moves.MAX_HOPS", 3)  # no two seconds of waiting here
    with pytest.raises(redis.exceptions.TryAgainError):  # from waits for its move to end
        react(store, "reader-cccccccccccc", "want", "from")
    moved = store.moves.move("demo", "from", "to", KEYS)
    assert moved.merged
    assert react(store, "reader-cccccccccccc", "want", "from").counts == {
        "love": 0, "like": 2, "want": 1, "had": 0, "hated": 0,
    }  # fmt: skip
    assert history_sum(store, "to") == {"love": 0, "like": 2, "want": 1, "had": 0, "hated": 0}
    assert_site_exact(store)
