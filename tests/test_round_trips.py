"""Redis round trips per request of the reader API, rate limits on: the numbers of issue 13.

One Redis: one round trip for every request below. A cluster: one to each node that
holds some of a GET's keys (the address's window and the articles), and for a reaction
the address's windows, the article's script and, after a change, the site's indexes
(docs/development.md says why that is three, and a new article's five).

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

from tests.helpers import app_config, counting_round_trips
from widget import create_app
from widget.context import get_sites
from widget.limits import limiter
from widget.redis_server import RedisServer

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
    store = app.extensions["reactions.store"]
    with counting_round_trips(store.client, limits_client(app)) as counted:
        answer = send(app.test_client())
    return counted.count, answer


def post(reaction: str | None, article: str = "a1", reader: str = "reader-000000000001") -> Any:
    body = {"article": article, "reader": reader, "reaction": reaction}
    return lambda client: client.post(
        URL, data=json.dumps(body), content_type="text/plain", environ_base=ENV
    )


def get(*articles: str) -> Any:
    return lambda client: client.get(URL, query_string={"article": articles}, environ_base=ENV)


def test_a_counts_get_is_one_trip_on_one_redis(limited_app: Any) -> None:
    count, answer = trips(limited_app, get("a1"))
    assert answer.status_code == 200
    # A cluster: the address's window and the article may be on two nodes.
    assert count <= min(2, masters(limited_app))

    articles = [f"article-{n}" for n in range(100)]
    count, answer = trips(limited_app, get(*articles))
    assert answer.status_code == 200 and len(answer.get_json()["articles"]) == 100
    assert count <= masters(limited_app)  # one to each node, the window's among them


def test_a_reaction_is_one_trip_on_one_redis(limited_app: Any) -> None:
    cluster = masters(limited_app) > 1

    # A new article: admitted, written and indexed. A cluster: the address's windows, the
    # article's script (which says "new"), the admission, the article's script again,
    # the site's indexes.
    count, answer = trips(limited_app, post("love"))
    assert answer.status_code == 200 and answer.get_json()["counts"]["love"] == 1
    assert count == (5 if cluster else 1)

    # A change on an existing article. A cluster: windows, article, site indexes.
    count, answer = trips(limited_app, post("like", reader="reader-000000000002"))
    assert answer.status_code == 200 and answer.get_json()["counts"]["like"] == 1
    assert count == (3 if cluster else 1)

    # The same reaction again: nothing to write. A cluster: windows, article.
    count, answer = trips(limited_app, post("like", reader="reader-000000000002"))
    assert answer.status_code == 200 and answer.get_json()["counts"]["like"] == 1
    assert count == (2 if cluster else 1)


def test_a_refused_reaction_is_one_trip_and_changes_nothing(limited_app: Any) -> None:
    limited_app.config["RATELIMIT_WRITE"] = "1/minute"  # a window of its own (its key has the 1)
    assert post("love")(limited_app.test_client()).status_code == 200
    count, answer = trips(limited_app, post("like"))
    assert answer.status_code == 429 and answer.headers["X-RateLimit-Limit"] == "1"
    assert count == 1  # the windows only: on a cluster, the address's slot
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
    summary = limited_app.extensions["reactions.store"].site_counts(
        "demo", ("love", "like", "want", "had", "hated")
    )
    assert summary["had"] == 1 and summary["want"] == 0 and summary["love"] == 1
