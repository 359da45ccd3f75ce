"""A cluster's reaction raced between its two trips: the site's indexes end exact.

On a cluster the first trip checks the reaction and finds the reader's old one; the second
writes beside the site's indexes, moved as the first foresaw (store/writes.py). Here a real
second request (or the publisher) changes the article in between, as it may in
production, and every count (article, site totals and indexes) must end as if the two
had run one after the other. One Redis runs a reaction in one script: nothing to race.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers import KEYS, react, zeros
from widget.store import Admission, ArticleClosed, ArticleRefused, Store, article_hash, keys

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

A1 = "a1"  # the article helpers.react sets
READER = "reader-aaaaaaaaaaaa"
OTHER = "reader-bbbbbbbbbbbb"


@pytest.fixture
def backend() -> str:
    """Run every test here on the local cluster."""
    return "cluster"


@pytest.fixture
def raced(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Return a function that runs its argument once, between the next reaction's trips."""

    def between(race: Callable[[], object]) -> None:
        write = store.writes._write

        def raced_write(*args: Any) -> Any:
            # Once: the race's own write is plain.
            monkeypatch.setattr(store.writes, "_write", write)
            race()
            return write(*args)

        monkeypatch.setattr(store.writes, "_write", raced_write)

    yield between


def indexed(store: Store) -> dict[str, float | None]:
    """Return the article's score in the site's total index and in each reaction's."""
    ah = article_hash(A1)
    return {
        name: store.client.zscore(keys.index_key("demo", name), ah) for name in ("total", *KEYS)
    }


def assert_site_matches_article(store: Store) -> None:
    counts = store.get_tallies("demo", [A1], KEYS)[A1].counts
    assert store.indexes.counts("demo", KEYS) == counts
    assert indexed(store) == {"total": sum(counts.values()), **counts}


def test_the_same_readers_other_switch_in_between(store: Store, raced: Any) -> None:
    react(store, READER, "love")
    react(store, OTHER, "love")
    raced(lambda: react(store, READER, "want"))  # the first trip saw "love"
    assert react(store, READER, "like").counts == zeros(love=1, like=1)
    assert_site_matches_article(store)


def test_the_same_readers_withdrawal_in_between(store: Store, raced: Any) -> None:
    react(store, READER, "love")
    raced(lambda: react(store, READER, None))
    assert react(store, READER, "hated").counts == zeros(hated=1)
    assert_site_matches_article(store)


def test_the_same_reaction_made_in_between_is_a_no_op(store: Store, raced: Any) -> None:
    react(store, OTHER, "had")
    raced(lambda: react(store, READER, "like"))
    assert react(store, READER, "like").counts == zeros(had=1, like=1)
    assert_site_matches_article(store)


def test_closed_in_between(store: Store, raced: Any) -> None:
    react(store, READER, "love")
    raced(lambda: store.articles.update("demo", A1, {"closed": "1"}))
    with pytest.raises(ArticleClosed):
        react(store, READER, "like")
    assert store.get_tallies("demo", [A1], KEYS)[A1].counts == zeros(love=1)
    assert_site_matches_article(store)


def test_reset_in_between(store: Store, raced: Any) -> None:
    react(store, READER, "love")
    react(store, OTHER, "want")
    raced(lambda: store.articles.reset("demo", A1, KEYS))
    # The reaction makes the article anew, alone in it (the store's own callers create
    # freely; the service's admission is tested in test_articles.py).
    assert react(store, READER, "like").counts == zeros(like=1)
    assert_site_matches_article(store)


def test_reset_in_between_and_a_signature_refused(store: Store, raced: Any) -> None:
    react(store, READER, "love")
    raced(lambda: store.articles.reset("demo", A1, KEYS))
    # The signature's verdict counts only for a new article: the first trip found it
    # existing, the write found it new, and the verdict refuses it then.
    refused = Admission(most=0, budget=0, address=None, refusal="invalid_signature")
    with pytest.raises(ArticleRefused):
        store.set_reaction("demo", A1, OTHER, "like", KEYS, admission=refused)
    assert store.get_tallies("demo", [A1], KEYS)[A1].counts == zeros()
    assert store.indexes.counts("demo", KEYS) == zeros()
    assert set(indexed(store).values()) == {None}  # in no index
