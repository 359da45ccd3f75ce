"""Redis round trips per request of the reader API, rate limits on, on one Redis and a cluster.

A round trip is a wait for replies: commands sent to several nodes of a cluster before any
reply is read (as its pipeline does) are one trip, each node's share counted apart as a
send. One Redis: one round trip for every request below. A cluster: one for a counts GET
(the address's window and the articles, to their nodes at once); two for a reaction (the
address's windows beside the article's checks, then the article's write beside the site's
indexes), one when it changes nothing; four for a reaction that creates an article
(store/writes.py says why).

Every trip of the app is counted: the store's client and flask-limiter's (which the
reader API no longer calls), on every pooled connection (tests/helpers.py). The site's
settings are cached, as in production, and read once before counting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.helpers import KEYS, app_config, counting_round_trips, zeros
from widget import create_app
from widget.context import get_sites
from widget.limits import limiter
from widget.local.redis_server import RedisServer

pytestmark = pytest.mark.on_cluster_too

URL = "/v1/sites/demo/reactions"
ENV = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture
def limited_app(
    backend: str, redis_server: RedisServer, redis_client: Any, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Return the app on the test Redis (or cluster), rate limits on, settings cached."""
    on = {"RATELIMIT_ENABLED": True, "SITE_CACHE_SECONDS": 60}
    if backend == "cluster":
        cluster = request.getfixturevalue("redis_cluster")
        on.update(REDIS_URL=cluster.url, REDIS_CLUSTER=True)
    app = create_app(app_config(redis_server, **on))
    with app.app_context():
        get_sites().create("demo", "Demo", [])
    client = app.test_client()
    # Warm: the site's settings cached, every script loaded (a first call's NOSCRIPT).
    assert get("warm-up")(client).status_code == 200
    assert post("love", article="warm-up")(client).status_code == 200
    yield app
    app.extensions["reactions.store"].client.close()
    limits_client(app).close()


def limits_client(app: Any) -> Any:
    """Return flask-limiter's Redis client of the app."""
    with app.app_context():
        return limiter.storage.get_connection()  # type: ignore[attr-defined]


def masters(app: Any) -> int:
    """Return how many nodes hold data: 1 for one Redis."""
    client = app.extensions["reactions.store"].client
    return 1 if isinstance(client, redis.Redis) else len(client.get_primaries())


def trips(app: Any, send: Any) -> tuple[int, Any]:
    """Return the round trips to Redis that one request makes, and its answer."""
    count, _, answer = trips_and_sends(app, send)
    return count, answer


def trips_and_sends(app: Any, send: Any) -> tuple[int, int, Any]:
    """Return the round trips of one request, the sends to nodes they made, and its answer."""
    store = app.extensions["reactions.store"]
    with counting_round_trips(store.client, limits_client(app)) as counted:
        answer = send(app.test_client())
    return counted.count, counted.sends, answer


def post(reaction: str | None, article: str = "a1", reader: str = "reader-000000000001") -> Any:
    body = {"article": article, "reader": reader, "reaction": reaction}
    return lambda client: client.post(
        URL, data=json.dumps(body), content_type="text/plain", environ_base=ENV
    )


def get(*articles: str) -> Any:
    return lambda client: client.get(URL, query_string={"article": articles}, environ_base=ENV)


def test_a_counts_get_is_one_trip(limited_app: Any) -> None:
    count, sends, answer = trips_and_sends(limited_app, get("a1"))
    assert answer.status_code == 200
    # A cluster: the address's window and the article may be on two nodes, sent at once.
    assert count == 1 and sends <= min(2, masters(limited_app))

    articles = [f"article-{n}" for n in range(100)]
    count, sends, answer = trips_and_sends(limited_app, get(*articles))
    assert answer.status_code == 200 and len(answer.get_json()["articles"]) == 100
    assert count == 1 and sends <= masters(limited_app)  # each node its share, at once


def test_a_reaction_is_one_trip_on_one_redis_and_two_on_a_cluster(limited_app: Any) -> None:
    cluster = masters(limited_app) > 1

    # A new article: admitted, written and indexed. A cluster: the address's windows
    # beside the article's checks (which say "new"), the admission, the write, the
    # site's indexes.
    count, answer = trips(limited_app, post("love"))
    assert answer.status_code == 200 and answer.get_json()["counts"]["love"] == 1
    assert count == (4 if cluster else 1)

    # A change on an existing article. A cluster: the windows beside the checks, then the
    # write beside the site's indexes, each trip to at most two nodes.
    count, sends, answer = trips_and_sends(limited_app, post("like", reader="reader-000000000002"))
    assert answer.status_code == 200 and answer.get_json()["counts"]["like"] == 1
    assert count == (2 if cluster else 1) and sends <= (4 if cluster else 1)

    # A switch and a withdrawal: the same.
    count, answer = trips(limited_app, post("want", reader="reader-000000000002"))
    assert answer.status_code == 200 and answer.get_json()["counts"] == zeros(love=1, want=1)
    assert count == (2 if cluster else 1)
    count, answer = trips(limited_app, post(None, reader="reader-000000000002"))
    assert answer.status_code == 200 and answer.get_json()["counts"]["want"] == 0
    assert count == (2 if cluster else 1)

    # The same reaction again: nothing to write, and the checks said so in the first trip.
    count, answer = trips(limited_app, post("love"))
    assert answer.status_code == 200 and answer.get_json()["counts"]["love"] == 1
    assert count == 1

    # The site's indexes followed every change, on a cluster in their own calls.
    summary = limited_app.extensions["reactions.store"].indexes.counts("demo", KEYS)
    assert summary == zeros(love=2)


def test_a_refused_reaction_is_one_trip_and_changes_nothing(limited_app: Any) -> None:
    limited_app.config["RATELIMIT_WRITE"] = "1/minute"  # a window of its own (its key has the 1)
    assert post("love")(limited_app.test_client()).status_code == 200
    count, answer = trips(limited_app, post("like"))
    assert answer.status_code == 429 and answer.headers["X-RateLimit-Limit"] == "1"
    assert count == 1  # the windows, beside the article's checks on a cluster
    assert get("a1")(limited_app.test_client()).get_json()["articles"]["a1"]["counts"]["love"] == 1


def test_the_calls_load_their_scripts_again_after_script_flush(
    limited_app: Any, redis_client: Any
) -> None:
    redis_client.script_flush()  # on a cluster: every master
    client = limited_app.test_client()
    assert get("a1")(client).status_code == 200
    assert post("want", reader="reader-000000000003")(client).get_json()["counts"]["want"] == 1
    redis_client.script_flush()
    assert post("had", reader="reader-000000000003")(client).get_json()["counts"]["had"] == 1
    # The site's indexes followed (on a cluster, their own call).
    summary = limited_app.extensions["reactions.store"].indexes.counts("demo", KEYS)
    assert summary["had"] == 1 and summary["want"] == 0 and summary["love"] == 1
