"""The publisher API on a site with thousands of articles: sorts, pages, cursors and exports."""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

# The demo site's key and the API caller are the publisher API suite's own fixtures.
from tests.test_publisher_api import KEYS, api, error_code, key, react

__all__ = ["api", "key"]  # fixtures: used by name, as test arguments

# -- a site with thousands of articles ----------------------------------------------------

N_ARTICLES = 3000


def fill(store: Any, n: int = N_ARTICLES) -> dict[str, dict[str, int]]:
    """Give n articles 1-4 reactions each, through the real write path; return the counts."""
    rng = random.Random(11)
    expected: dict[str, dict[str, int]] = {}
    now = time.time()
    for i in range(n):
        article = f"post-{i:05d}"
        counts = dict.fromkeys(KEYS, 0)
        # in time order, as real reactions come
        moments = sorted(now - rng.randint(0, 1000) * 60 for _ in range(rng.randint(1, 4)))
        for reader, at in enumerate(moments):
            reaction = rng.choice(KEYS)
            counts[reaction] += 1
            react(store, article, reader, reaction, title=f"Post number {i}", now=at)
        expected[article] = counts
    return expected


def page_through(
    api: Callable[..., Any], query: str, between: Callable[[], None] = lambda: None
) -> list[dict[str, Any]]:
    """Follow next_cursor from the first page to the last; call between() between pages."""
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(1000):
        body = api(f"/articles?{query}&cursor={cursor}").get_json()
        seen.extend(body["articles"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        between()
    raise AssertionError("the cursor never ended")


@pytest.mark.slow  # seconds of work: out of the fast run
def test_a_big_site_sorts_pages_and_exports_every_article(
    api: Callable[..., Any], store: Any
) -> None:
    expected = fill(store)
    assert api("/summary").get_json()["articles"] == N_ARTICLES

    # Every sort lists every article exactly once, in order of its index.
    for sort in ("total", "recent", *KEYS, "title"):
        listed = page_through(api, f"sort={sort}&limit=200")
        ids = [a["article"] for a in listed]
        assert len(ids) == N_ARTICLES
        assert set(ids) == set(expected)
        if sort == "title":  # the only ascending order
            titles = [a["title"].casefold() for a in listed]
            assert titles == sorted(titles)
            continue
        if sort == "recent":
            keys = [a["last_reaction_at"] for a in listed]
        else:
            keys = [a["total"] if sort == "total" else a["counts"][sort] for a in listed]
        assert keys == sorted(keys, reverse=True), sort
    assert all(
        a["counts"] == expected[a["article"]] for a in page_through(api, "sort=total&limit=200")
    )

    # A small page size over the many ties of a reaction index: still each once.
    ids = [a["article"] for a in page_through(api, "sort=hated&limit=37")]
    assert sorted(ids) == sorted(expected)

    # Search pages through matches only.
    matches = page_through(api, "q=NUMBER 29&limit=20")
    assert {a["article"] for a in matches} == {
        a for a in expected if str(int(a[5:])).startswith("29")
    }

    rows = list(csv.reader(io.StringIO(api("/export?format=csv").get_data(as_text=True))))
    assert len(rows) == N_ARTICLES + 1
    assert {r[0] for r in rows[1:]} == set(expected)
    exported = json.loads(api("/export?format=json").data)
    assert len(exported) == N_ARTICLES
    assert {a["article"] for a in exported} == set(expected)


def test_title_sort_is_a_to_z_and_follows_new_titles_and_resets(
    api: Callable[..., Any], store: Any
) -> None:
    react(store, "b", 1, "love", title="banana")
    react(store, "a", 1, "love", title="Apple")
    react(store, "c", 1, "love")  # no title: it sorts by its id
    react(store, "z", 1, "love", title="Zebra")

    def ids(query: str = "") -> list[str]:
        return [a["article"] for a in page_through(api, f"sort=title&limit=1{query}")]

    assert ids() == ["a", "b", "c", "z"]
    react(store, "z", 2, "like", title="Aardvark")  # a reader cannot rename it
    assert ids() == ["a", "b", "c", "z"]
    api("/article?article=z", "PATCH", {"title": "Aardvark"})  # the publisher can
    assert ids() == ["z", "a", "b", "c"]
    api("/reactions?article=b", "DELETE")
    assert ids() == ["z", "a", "c"]
    assert ids("&q=A") == ["z", "a"]
    cursor = api("/articles?sort=title&limit=1").get_json()["next_cursor"]
    assert error_code(api(f"/articles?sort=total&cursor={cursor}")) == "bad_request"


@pytest.mark.slow  # seconds of work: out of the fast run
def test_paging_while_reactions_arrive_has_no_duplicates_or_gaps(
    api: Callable[..., Any], store: Any
) -> None:
    expected = fill(store, 1500)
    rng = random.Random(5)
    touched: set[str] = set()
    reader = iter(range(100, 100_000))

    def reactions_arrive() -> None:
        for _ in range(40):
            article = f"post-{rng.randrange(1500):05d}"
            touched.add(article)
            react(store, article, next(reader), rng.choice(KEYS))

    for sort in ("total", "love", "recent", "title"):
        listed = [
            a["article"] for a in page_through(api, f"sort={sort}&limit=50", reactions_arrive)
        ]
        untouched = set(expected) - touched
        assert all(listed.count(a) == 1 for a in untouched), sort
        assert untouched <= set(listed), sort


def test_the_next_page_continues_after_an_article_that_moved_or_was_reset(
    api: Callable[..., Any], store: Any
) -> None:
    # Ten articles tie on total=1: the keyset must find its place among the ties.
    for i in range(10):
        react(store, f"t{i}", 1, "love")
    order = [a["article"] for a in api("/articles?limit=10").get_json()["articles"]]
    first = api("/articles?limit=4").get_json()
    assert [a["article"] for a in first["articles"]] == order[:4]
    react(store, order[3], 2, "like")  # the cursor's article moves up
    second = api(f"/articles?limit=3&cursor={first['next_cursor']}").get_json()
    assert [a["article"] for a in second["articles"]] == order[4:7]
    api(f"/reactions?article={order[6]}", "DELETE")  # the cursor's article is gone
    third = api(f"/articles?limit=10&cursor={second['next_cursor']}").get_json()
    assert [a["article"] for a in third["articles"]] == order[7:]
    assert third["next_cursor"] is None
