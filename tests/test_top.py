"""GET /v1/sites/{site}/top: the most-loved articles over 1-30 days, public and cacheable."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from openapi_core import OpenAPI

from tests.helpers import KEYS, app_config
from tests.test_openapi import check
from widget import create_app
from widget.context import get_sites
from widget.ops.health import openapi_document
from widget.reader.top import MAX_AGE, STALE_SECONDS, SUMS_PER_MINUTE
from widget.store import keys

pytestmark = pytest.mark.on_cluster_too

DAY = 86_400
TOP = "/v1/sites/demo/top"
NOW = time.time()


@pytest.fixture
def key(make_site: Callable[..., str]) -> str:
    return make_site("demo", ("https://example.com",))


def react(
    store: Any, article: str, reader: int, reaction: str | None, days_ago: int = 0, **kw: Any
) -> None:
    kw.setdefault("title", f"Title of {article}")
    store.set_reaction(
        "demo", article, f"reader-{reader:012d}", reaction, KEYS, now=NOW - days_ago * DAY, **kw
    )


def forget(app: Any) -> None:
    """Forget the lists computed (kept for their max-age): the worker's and Redis's sums."""
    app.extensions.pop("reactions.top", None)
    redis_client = app.extensions["reactions.store"].client
    for key in redis_client.keys(keys.top_key("demo", "*", "*", "*")):
        redis_client.delete(key)
    redis_client.delete(keys.top_budget_key("demo"))


def top(app: Any, client: Any, query: str = "", **headers: str) -> Any:
    """Ask for a top list afresh."""
    forget(app)
    return client.get(f"{TOP}{query}", headers=headers)


def listed(app: Any, client: Any, query: str = "") -> list[tuple[str, int]]:
    res = top(app, client, query)
    assert res.status_code == 200, res.get_json()
    return [(a["article"], a["count"]) for a in res.get_json()["articles"]]


def test_the_most_first_ties_by_id_with_title_and_http_url_only(
    app: Any, client: Any, store: Any, key: str
) -> None:
    for reader in range(3):
        react(store, "three", reader, "love", url="https://example.com/three")
    for reader in range(5):
        react(store, "untitled", reader, "love", title=None)  # never listed: no title
    react(store, "bad-url", 0, "like", url="javascript:alert(1)")
    # Ties: ids whose order differs from their hashes' (the index's members).
    tied = [f"tie-{n:02d}" for n in range(12)]
    for article in random.Random(4).sample(tied, len(tied)):
        react(store, article, 0, "had")
        react(store, article, 1, "want")
    res = top(app, client, "?limit=20")
    assert res.status_code == 200
    body = res.get_json()
    assert body["site"] == "demo" and body["reaction"] == "total" and body["days"] == 7
    articles = body["articles"]
    assert articles[0] == {
        "article": "three",
        "title": "Title of three",
        "url": "https://example.com/three",
        "count": 3,
    }
    assert [a["article"] for a in articles[1:13]] == tied  # 2 each: by id, ascending
    assert all(a["count"] == 2 and "url" not in a for a in articles[1:13])
    assert articles[13] == {"article": "bad-url", "title": "Title of bad-url", "count": 1}
    assert len(articles) == 14
    # Defaults: total, 7 days, 5 articles.
    assert listed(app, client) == [("three", 3), *((t, 2) for t in tied[:4])]
    assert listed(app, client, "?reaction=love") == [("three", 3)]
    assert listed(app, client, "?reaction=like&limit=1") == [("bad-url", 1)]
    assert listed(app, client, "?reaction=hated") == []
    check(OpenAPI.from_dict(openapi_document()), res)


def test_the_window_counts_only_its_days_today_included(
    app: Any, client: Any, store: Any, key: str
) -> None:
    react(store, "today", 0, "love")
    react(store, "yesterday", 0, "love", days_ago=1)
    react(store, "yesterday", 1, "love", days_ago=1)
    for reader in range(3):
        react(store, "last-month", reader, "love", days_ago=29)
    for reader in range(4):
        react(store, "too-old", reader, "love", days_ago=31)
    assert listed(app, client, "?days=1") == [("today", 1)]
    assert listed(app, client, "?days=2") == [("yesterday", 2), ("today", 1)]
    assert listed(app, client, "?days=29") == [("yesterday", 2), ("today", 1)]
    assert listed(app, client, "?days=30") == [
        ("last-month", 3),
        ("yesterday", 2),
        ("today", 1),
    ]


def test_withdrawals_and_switches_are_net(app: Any, client: Any, store: Any, key: str) -> None:
    for reader in range(3):
        react(store, "a", reader, "love", days_ago=2)
    react(store, "a", 0, None)  # withdrawn today
    react(store, "a", 1, "like")  # switched today
    react(store, "b", 0, "love", days_ago=1)
    react(store, "b", 1, "love", days_ago=1)
    # Today: a lost one love (withdrawn) and moved one to like (switched): total -1.
    assert listed(app, client, "?days=1") == []
    assert listed(app, client, "?days=1&reaction=like") == [("a", 1)]
    assert listed(app, client, "?days=1&reaction=love") == []
    assert listed(app, client, "?days=2") == [("b", 2)]
    assert listed(app, client, "?days=3") == [("a", 2), ("b", 2)]
    assert listed(app, client, "?days=3&reaction=love") == [("b", 2), ("a", 1)]
    # Gone back to nothing on one day: no entry is kept for it.
    react(store, "c", 0, "want")
    react(store, "c", 0, None)
    assert not store.client.zscore(keys.day_rank_key("demo", keys.day_of(NOW), "total"), "c")
    assert not store.client.zscore(keys.day_rank_key("demo", keys.day_of(NOW), "want"), "c")


def test_visibility_policies_apply_to_the_list(app: Any, client: Any, store: Any, key: str) -> None:
    for reader in range(4):
        react(store, "old-favourite", reader, "love", days_ago=20)
    react(store, "old-favourite", 9, "love")
    react(store, "new", 0, "love")
    react(store, "new", 1, "like")
    settings = "/v1/sites/demo/settings"
    auth = {"Authorization": f"Bearer {key}"}

    def policy(**body: Any) -> None:
        assert client.patch(settings, json=body, headers=auth).status_code == 200

    assert listed(app, client, "?days=1") == [("new", 2), ("old-favourite", 1)]
    # The threshold is on the all-time total: 5 for old-favourite, 2 for new.
    policy(visibility="threshold", visibility_threshold=3)
    assert listed(app, client, "?days=1") == [("old-favourite", 1)]
    policy(visibility_threshold=6)
    assert listed(app, client, "?days=1") == []
    for hiding in ("after_reacting", "publisher_only"):
        policy(visibility=hiding)
        body = top(app, client, "?days=1").get_json()
        assert body == {
            "site": "demo",
            "reaction": "total",
            "days": 1,
            "hidden": True,
            "articles": [],
        }
    policy(visibility="always")
    assert listed(app, client, "?days=1") == [("new", 2), ("old-favourite", 1)]


def test_headers_cors_and_caching_as_the_counts_get(
    app: Any, client: Any, store: Any, key: str
) -> None:
    react(store, "a", 0, "love")
    res = top(app, client, Origin="https://example.com")
    assert res.status_code == 200 and res.mimetype == "application/json"
    cache = res.headers["Cache-Control"]
    assert cache.startswith("public, ") and int(cache.split("max-age=")[1].split(",")[0]) >= 60
    assert res.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert "Origin" in res.headers["Vary"]
    other = top(app, client, Origin="https://elsewhere.example")
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
    again = client.get(TOP, headers={"If-None-Match": res.headers["ETag"]})
    assert again.status_code == 304


def test_a_worker_keeps_a_list_for_its_max_age(app: Any, client: Any, store: Any, key: str) -> None:
    react(store, "a", 0, "love")
    assert listed(app, client) == [("a", 1)]
    react(store, "b", 0, "love")
    react(store, "b", 1, "love")
    assert [a["article"] for a in client.get(TOP).get_json()["articles"]] == ["a"]
    assert listed(app, client) == [("b", 2), ("a", 1)]  # computed again


def test_a_site_makes_a_bounded_number_of_new_lists_a_minute(
    app: Any, client: Any, store: Any, key: str
) -> None:
    react(store, "a", 0, "love")
    forget(app)
    lists = [f"?days={days}&reaction={r}" for r in ("total", "love") for days in range(1, 31)]
    answers = [client.get(TOP + query) for query in lists[: SUMS_PER_MINUTE + 1]]
    assert [a.status_code for a in answers] == [200] * SUMS_PER_MINUTE + [429]
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # The lists made are still answered, from any worker, and nothing else was kept.
    app.extensions.pop("reactions.top", None)
    assert client.get(TOP + lists[0]).status_code == 200
    assert len(store.client.keys(keys.top_key("demo", "*", "*", "*"))) == SUMS_PER_MINUTE


def test_a_list_made_before_is_answered_while_the_sites_sums_are_spent(
    app: Any, client: Any, store: Any, key: str
) -> None:
    react(store, "a", 0, "love", title="A")
    forget(app)
    mine = client.get(TOP + "?days=7")  # a page's box: made, and kept by this worker
    assert mine.status_code == 200 and [a["article"] for a in mine.get_json()["articles"]] == ["a"]
    # Its minute passes (its sum expires), and someone spends the site's new sums meanwhile.
    for sum_key in store.client.keys(keys.top_key("demo", "*", "*", "*")):
        store.client.delete(sum_key)
    cache = app.extensions["reactions.top"]
    cache.lists = {k: (v[0] - MAX_AGE - 1, v[1]) for k, v in cache.lists.items()}
    flood = [f"?days={days}&reaction=love" for days in range(1, SUMS_PER_MINUTE)]  # 29 + 1
    assert {client.get(TOP + query).status_code for query in flood} == {200}
    assert client.get(TOP + "?days=3").status_code == 429  # a list nobody made before
    again = client.get(TOP + "?days=7")  # the page's box keeps its list, a little old
    assert again.status_code == 200 and again.get_json() == mine.get_json()
    # Past STALE_SECONDS, a list that cannot be made again is a 429 like any other.
    cache.lists = {k: (v[0] - STALE_SECONDS, v[1]) for k, v in cache.lists.items()}
    assert client.get(TOP + "?days=7").status_code == 429


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?reaction=meh", "unknown_reaction"),
        ("?reaction=", "unknown_reaction"),
        ("?reaction=TOTAL", "unknown_reaction"),
        ("?days=0", "bad_request"),
        ("?days=31", "bad_request"),
        ("?days=-1", "bad_request"),
        ("?days=" + "9" * 5000, "bad_request"),
        ("?days=%C2%B2", "bad_request"),  # a superscript two: a digit to str.isdigit
        ("?days=7.0", "bad_request"),
        ("?limit=0", "bad_request"),
        ("?limit=21", "bad_request"),
        ("?limit=" + "1" * 5000, "bad_request"),
        ("?limit=five", "bad_request"),
        ("?days=7&days=8", "bad_request"),
        ("?sort=total", "bad_request"),
        ("?days=%FF", "bad_request"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(
    app: Any, client: Any, store: Any, key: str, query: str, code: str
) -> None:
    react(store, "a", 0, "love")
    before = sorted(store.client.keys("*"))
    res = top(app, client, query)
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == code
    assert sorted(store.client.keys("*")) == before


def test_a_retired_reaction_is_unknown_and_an_unknown_site_404(
    app: Any, client: Any, store: Any, key: str
) -> None:
    react(store, "a", 0, "hated")
    with app.app_context():
        get_sites().change(
            "demo",
            lambda site: replace(
                site, reactions=tuple(replace(r, retired=r.key == "hated") for r in site.reactions)
            ),
        )
    res = top(app, client, "?reaction=hated")
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "unknown_reaction"
    missing = client.get("/v1/sites/nope/top")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_site"


def test_reset_reindex_and_site_deletion_keep_the_rankings_exact(
    app: Any, client: Any, runner: Any, store: Any, key: str
) -> None:
    for reader in range(3):
        react(store, "a", reader, "love", days_ago=reader)
    react(store, "b", 0, "like", days_ago=3)
    react(store, "b", 0, "love", days_ago=1)  # switched two days later
    auth = {"Authorization": f"Bearer {key}"}
    assert listed(app, client) == [("a", 3), ("b", 1)]
    assert listed(app, client, "?reaction=like") == []
    ranks = sorted(store.client.keys(keys.day_rank_key("demo", "*", "*")))
    snapshot = {k: store.client.zrange(k, 0, -1, withscores=True) for k in ranks}
    # The rebuild recomputes every day ranking from the articles' histories, exactly.
    for k in ranks:
        store.client.delete(k)
    store.client.zadd(keys.day_rank_key("demo", keys.day_of(NOW), "total"), {"junk": -9})
    assert runner.invoke(args=["reindex", "demo"]).exit_code == 0
    after = sorted(store.client.keys(keys.day_rank_key("demo", "*", "*")))
    assert after == ranks
    assert {k: store.client.zrange(k, 0, -1, withscores=True) for k in after} == snapshot
    assert all(0 < store.client.ttl(k) <= keys.RANK_DAYS * DAY for k in after)
    # A reset takes the article out of every day.
    assert client.delete("/v1/sites/demo/reactions?article=a", headers=auth).status_code == 204
    assert listed(app, client) == [("b", 1)]
    assert listed(app, client, "?days=30&reaction=love") == [("b", 1)]
    # A deleted site leaves no ranking behind.
    with app.app_context():
        get_sites().delete("demo")
    assert store.client.keys(keys.day_rank_key("demo", "*", "*")) == []


def test_a_moved_article_takes_its_days_into_the_other(
    app: Any, client: Any, store: Any, key: str
) -> None:
    react(store, "old-url", 0, "love", days_ago=3)
    react(store, "old-url", 1, "love", days_ago=1)
    react(store, "old-url", 4, "like")  # a reader on both: counted once, on new-url's like
    react(store, "new-url", 2, "love", days_ago=1)
    react(store, "new-url", 3, "like")
    react(store, "new-url", 4, "like")
    auth = {"Authorization": f"Bearer {key}"}
    moved = client.post("/v1/sites/demo/article/move", headers=auth,
                        json={"from": "old-url", "to": "new-url"})  # fmt: skip
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["counts"]["love"] == 3 and moved.get_json()["counts"]["like"] == 2
    # The old id's days went into the new one's, and today's merge correction took off the
    # reader counted once: the lists sum to the article's counts, as its history does.
    assert listed(app, client, "?days=30&reaction=love") == [("new-url", 3)]
    assert listed(app, client, "?days=30&reaction=like") == [("new-url", 2)]
    assert listed(app, client, "?days=30") == [("new-url", 5)]
    assert listed(app, client, "?days=2") == [("new-url", 4)]
    rankings = store.client.keys(keys.day_rank_key("demo", "*", "*"))
    assert rankings and all(store.client.zscore(k, "old-url") is None for k in rankings)


def test_a_day_ranking_lives_31_days_from_its_day(store: Any, key: str) -> None:
    react(store, "a", 0, "love")
    ttl = store.client.ttl(keys.day_rank_key("demo", keys.day_of(NOW), "love"))
    start_of_day = NOW - NOW % DAY
    assert abs(ttl - (start_of_day + keys.RANK_DAYS * DAY - time.time())) <= 2


def test_the_read_limit_holds_per_address_as_on_the_counts_get(
    redis_server: Any, redis_client: Any, backend: str
) -> None:
    if backend != "redis":
        pytest.skip("one Redis is enough for the limit")
    app = create_app(app_config(redis_server, RATELIMIT_ENABLED=True, RATELIMIT_READ="3/minute"))
    try:
        with app.app_context():
            get_sites().create("demo", "Demo", [])
        client = app.test_client()
        first = {"REMOTE_ADDR": "198.51.100.7"}
        answers = [client.get(TOP, environ_base=first).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        refused = client.get(TOP, environ_base=first)
        assert refused.get_json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
        other = client.get(TOP, environ_base={"REMOTE_ADDR": "198.51.100.8"})
        assert other.status_code == 200
    finally:
        app.extensions["reactions.store"].client.close()
