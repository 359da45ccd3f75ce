"""Site settings enforced on readers: the visibility policies and closing."""

from __future__ import annotations

import time
from typing import Any

from tests.helpers import zeros
from tests.test_settings import (
    ARTICLE,
    COUNTS,
    READERS,
    Publisher,
    counts_answers,
    numbers_in,
    react,
)
from tests.test_settings import publisher as publisher  # fixtures, by name
from tests.test_settings import reacted as reacted
from widget.sites import DEFAULT_KEYS
from widget.store import Store


def test_after_reacting_hides_counts_from_readers_who_have_not_reacted(
    client: Any, reacted: Publisher
) -> None:
    assert reacted.patch({"visibility": "after_reacting"}).status_code == 200
    public = counts_answers(client)
    assert public.headers["Cache-Control"].startswith("public")  # one answer for all: cacheable
    assert public.get_json()["articles"] == {"a1": {"hidden": True}, "a2": {"hidden": True}}
    assert numbers_in(public.get_json()) == []
    stranger = counts_answers(client, 9)
    assert stranger.headers["Cache-Control"] == "private, no-store"
    assert stranger.get_json()["articles"]["a1"] == {"hidden": True, "mine": None}
    assert numbers_in(stranger.get_json()) == []
    holder = counts_answers(client, 0).get_json()["articles"]
    assert holder["a1"]["counts"]["love"] == 3 and holder["a1"]["mine"] == "love"
    assert holder["a2"] == {"hidden": True, "mine": None}
    # The POST answers as the GET with reader does: counts once the reader holds one.
    voted = react(client, "a2", 9, "like").get_json()
    assert voted["counts"]["like"] == 1 and voted["mine"] == "like"
    withdrawn = react(client, "a2", 9, None).get_json()
    assert withdrawn == {"article": "a2", "hidden": True, "mine": None}


def test_threshold_shows_counts_once_the_total_reaches_it(client: Any, reacted: Publisher) -> None:
    assert reacted.patch({"visibility": "threshold", "visibility_threshold": 4}).status_code == 200
    assert counts_answers(client).get_json()["articles"]["a1"] == {"hidden": True}
    answer = react(client, "a1", 3, "like").get_json()  # the fourth reaction
    assert answer["total"] == 4 and answer["counts"]["love"] == 3
    assert counts_answers(client).get_json()["articles"]["a1"]["total"] == 4
    below = react(client, "a1", 3, None).get_json()
    assert below == {"article": "a1", "hidden": True, "mine": None}
    assert numbers_in(counts_answers(client).get_json()) == []


def test_publisher_only_never_shows_readers_a_number(client: Any, reacted: Publisher) -> None:
    assert reacted.patch({"visibility": "publisher_only"}).status_code == 200
    for res in (counts_answers(client), counts_answers(client, 0), react(client, "a1", 5, "had")):
        assert numbers_in(res.get_json()) == [], res.get_json()
    assert react(client, "a1", 6, "had").get_json() == {"article": "a1", "hidden": True,
                                                        "mine": "had"}  # fmt: skip
    record = reacted.get("/v1/sites/demo/article?article=a1").get_json()
    assert record["counts"]["had"] == 2 and record["total"] == 5  # the publisher sees all


# -- closing -----------------------------------------------------------------------------


def test_a_closed_article_refuses_every_post_and_says_closed(
    client: Any, reacted: Publisher
) -> None:
    assert reacted.get(ARTICLE).get_json()["closed"] is False
    res = reacted.patch({"closed": True}, ARTICLE)
    assert res.status_code == 200 and res.get_json()["closed"] is True
    assert res.get_json()["counts"]["love"] == 3
    for reader, reaction in ((0, None), (0, "like"), (7, "love")):
        res = react(client, "a1", reader, reaction)
        assert res.status_code == 403, res.get_json()
        assert res.get_json()["error"]["code"] == "article_closed"
    body = counts_answers(client, 0).get_json()["articles"]
    assert body["a1"] == {"counts": zeros(love=3),
                          "total": 3, "mine": "love", "closed": True}  # fmt: skip
    assert "closed" not in body["a2"]
    assert reacted.patch({"closed": False}, ARTICLE).get_json()["closed"] is False
    assert react(client, "a1", 7, "love").get_json()["counts"]["love"] == 4


def test_close_after_days_closes_an_article_that_many_days_after_its_first_reaction(
    client: Any, store: Store, reacted: Publisher
) -> None:
    now = time.time()
    store.set_reaction("demo", "old", READERS[0], "love", DEFAULT_KEYS, now=now - 3 * 86400)
    assert reacted.patch({"close_after_days": 3}).status_code == 200
    res = client.post(COUNTS, json={"article": "old", "reader": READERS[1], "reaction": "like"})
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "article_closed"
    assert client.get(f"{COUNTS}?article=old").get_json()["articles"]["old"]["closed"] is True
    assert react(client, "a1", 8, "like").status_code == 200  # first reaction today: open
    # The publisher may reopen one article past the site's limit, and close it again.
    old = "/v1/sites/demo/article?article=old"
    assert reacted.patch({"closed": False}, old).get_json()["closed"] is False
    res = client.post(COUNTS, json={"article": "old", "reader": READERS[1], "reaction": "like"})
    assert res.status_code == 200
    assert reacted.patch({"close_after_days": 4}).status_code == 200
    assert reacted.patch({"closed": True}, old).get_json()["closed"] is True


def test_the_article_endpoint_refuses_bad_requests(reacted: Publisher) -> None:
    assert reacted.get("/v1/sites/demo/article?article=nobody").status_code == 404
    res = reacted.patch({"closed": True}, "/v1/sites/demo/article?article=nobody")
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "not_found"
    for body in ({"closed": "yes"}, {"colour": 1}, [True]):
        res = reacted.patch(body, ARTICLE)
        assert res.status_code == 400 and res.get_json()["error"]["code"] == "bad_request"
    assert reacted.get("/v1/sites/demo/article").get_json()["error"]["code"] == "invalid_article"
    assert reacted.get(ARTICLE).get_json()["closed"] is False


def test_close_after_days_counts_whole_days_on_the_get_the_post_and_the_article(
    client: Any, store: Store, publisher: Publisher, redis_client: Any
) -> None:
    now = time.time()
    for article, days in (("recent", 2), ("old", 10)):
        reader = READERS[0]
        store.set_reaction("demo", article, reader, "love", DEFAULT_KEYS, now=now - days * 86400)
    assert publisher.patch({"close_after_days": 3}).status_code == 200
    # The counts GET: two days after its first reaction an article is open, ten closed.
    body = client.get(f"{COUNTS}?article=recent&article=old").get_json()["articles"]
    assert "closed" not in body["recent"] and body["old"]["closed"] is True
    # The publisher's article endpoint says the same.
    assert publisher.get("/v1/sites/demo/article?article=recent").get_json()["closed"] is False
    assert publisher.get("/v1/sites/demo/article?article=old").get_json()["closed"] is True
    # The POST: the open one counts, the closed one is a 403 that changes nothing.
    res = client.post(COUNTS, json={"article": "recent", "reader": READERS[1], "reaction": "like"})
    assert res.status_code == 200 and "closed" not in res.get_json()
    before = {key: redis_client.dump(key) for key in sorted(redis_client.keys("*"))}
    res = client.post(COUNTS, json={"article": "old", "reader": READERS[1], "reaction": "like"})
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "article_closed"
    assert {key: redis_client.dump(key) for key in sorted(redis_client.keys("*"))} == before


def test_an_article_closes_when_its_last_day_is_over_not_before(
    client: Any, store: Store, publisher: Publisher
) -> None:
    now, days = time.time(), 30
    for article, age in (("almost", days * 86400 - 10), ("just", days * 86400 + 10)):
        store.set_reaction("demo", article, READERS[0], "love", DEFAULT_KEYS, now=now - age)
    assert publisher.patch({"close_after_days": days}).status_code == 200
    body = client.get(f"{COUNTS}?article=almost&article=just").get_json()["articles"]
    assert "closed" not in body["almost"] and body["just"]["closed"] is True
