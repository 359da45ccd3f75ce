"""Reads through a full Redis: every read answers 200 with the true counts, writes 503.

A real Redis (one server of its own, and the test cluster with each master bounded) is
filled with junk until it refuses writes for want of memory (``maxmemory``, noeviction).
Then every read a reader, a publisher's program or the dashboard makes answers 200 with
the counts it had before, rate limits on, and every write is 503 ``storage_full``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import app_config
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer

pytestmark = pytest.mark.slow

READERS = [f"reader-token-{n:010d}" for n in range(6)]
# article -> the reactions of READERS[0], READERS[1]... on it
VOTES = {"a1": ["love", "love", "like"], "a2": ["want"], "a3": ["like", "love", "had", "want"]}
COUNTS = "/v1/sites/demo/reactions?" + "&".join(f"article={a}" for a in VOTES)


def fill(client: Any, nodes: list[redis.Redis]) -> None:
    """Write junk until Redis refuses a write for want of memory, then keep it full.

    Right at the bound a freed buffer may let the next small write in, so each node's
    bound is then lowered under what it holds: full, and staying full.
    """
    junk = "x" * 20_000
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for n in range(10_000):
            client.set(f"junk:{n}", junk)
    for node in nodes:
        used = int(node.info("memory")["used_memory"])
        node.config_set("maxmemory", used // 2)
    for n in range(60):  # keys on every node of a cluster
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set(f"probe:{n}", "1")


@pytest.fixture(params=["redis", pytest.param("cluster", marks=pytest.mark.cluster)])
def full(
    request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer
) -> Iterator[tuple[Any, str, list[redis.Redis], Any]]:
    """Yield an app on a Redis about to be filled, its site's API key, the nodes, a client."""
    if request.param == "redis":
        server = RedisServer(tmp_path / "small", appendonly=False, maxmemory="4mb").start()
        client: Any = redis.Redis.from_url(server.url, decode_responses=True)
        nodes = [client]
        url, cluster = server.url, False
    else:
        local = request.getfixturevalue("redis_cluster")
        local.flush()
        client = local.client()
        nodes = [redis.Redis("127.0.0.1", s.port, decode_responses=True) for s in local.servers]
        for node in nodes:
            node.config_set("maxmemory", int(node.info("memory")["used_memory"]) + 3 * 2**20)
        url, cluster = local.url, True
    app = create_app(
        app_config(redis_server, REDIS_URL=url, REDIS_CLUSTER=cluster, RATELIMIT_ENABLED=True)
    )
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    try:
        yield app, key, nodes, client
    finally:
        app.extensions["reactions.store"].client.close()
        for node in nodes:
            node.config_set("maxmemory", 0)
            node.flushall()
            node.close()
        client.close()
        if request.param == "redis":
            server.stop()


def got(client: Any, path: str, **kwargs: Any) -> tuple[int, bytes]:
    """Return a GET's status and its whole body (a streamed one read to its end)."""
    answer = client.get(path, **kwargs)
    # A chart's element ids count the charts the process drew: the same page, other ids.
    return answer.status_code, re.sub(rb"chart\d+", b"chart", answer.get_data())


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_every_read_answers_200_with_the_true_counts_and_every_write_503(
    full: tuple[Any, str, list[redis.Redis], Any],
) -> None:
    app, key, nodes, client = full
    test, dashboard = app.test_client(), app.test_client()
    bearer = {"Authorization": f"Bearer {key}"}
    for article, reactions in VOTES.items():
        for reader, reaction in zip(READERS, reactions, strict=False):
            body = {"article": article, "reader": reader, "reaction": reaction, "title": article}
            assert test.post("/v1/sites/demo/reactions", json=body).status_code == 200
    token = csrf_of(dashboard.get("/dashboard/").get_data(as_text=True))
    signed = dashboard.post("/dashboard/sign-in", data={"csrf": token, "site": "demo", "key": key})
    assert signed.status_code == 302
    dashboard.get(signed.headers["Location"])  # its one-time "signed in" message
    reads = {
        "counts": COUNTS,
        "mine": f"{COUNTS}&reader={READERS[0]}",
        "articles": "/v1/sites/demo/articles",
        "summary": "/v1/sites/demo/summary",
        "history": "/v1/sites/demo/history?article=a3",
        "article": "/v1/sites/demo/article?article=a3",
        "export": "/v1/sites/demo/export",
        "settings": "/v1/sites/demo/settings",
    }
    before = {name: got(test, path, headers=bearer) for name, path in reads.items()}
    pages = ["/dashboard/", "/dashboard/articles", "/dashboard/article?article=a3"]
    pages += ["/dashboard/settings", "/dashboard/export.csv", "/dashboard/reset?article=a1"]
    pages_before = {page: got(dashboard, page) for page in pages}
    assert {status for status, _ in [*before.values(), *pages_before.values()]} == {200}
    assert json.loads(before["counts"][1])["articles"]["a3"]["total"] == 4

    fill(client, nodes)

    # Reads, each several times: a read's rate-limit window, which Redis cannot count now,
    # costs it nothing, and it answers what it answered before the fill.
    for _ in range(3):
        for name, path in reads.items():
            assert got(test, path, headers=bearer) == before[name], name
        for page in pages:
            assert got(dashboard, page) == pages_before[page], page
    assert test.options("/v1/sites/demo/reactions").status_code == 204
    assert test.head(COUNTS).status_code == 200
    # A refused read is refused as before (it wrote nothing), not turned into a 503.
    assert test.get("/v1/sites/nowhere/reactions?article=a1").status_code == 404
    assert test.get("/v1/sites/demo/reactions?article=").status_code == 400
    ready = test.get("/readyz")
    assert ready.status_code == 200, ready.get_data(as_text=True)
    assert ready.get_json() == {"status": "ok", "storage": "full"}

    csrf = csrf_of(pages_before["/dashboard/settings"][1].decode())
    stranger = app.test_client()
    stranger_csrf = csrf_of(stranger.get("/dashboard/").get_data(as_text=True))
    writes = {
        "new article": test.post(
            "/v1/sites/demo/reactions",
            json={"article": "new", "reader": READERS[0], "reaction": "love"},
        ),
        "new vote": test.post(
            "/v1/sites/demo/reactions",
            json={"article": "a2", "reader": READERS[5], "reaction": "like"},
        ),
        "switch": test.post(
            "/v1/sites/demo/reactions",
            json={"article": "a1", "reader": READERS[0], "reaction": "want"},
        ),
        "edit": test.patch(
            "/v1/sites/demo/article?article=a1", json={"title": "T"}, headers=bearer
        ),
        "reset": test.delete("/v1/sites/demo/reactions?article=a1", headers=bearer),
        "settings": test.patch(
            "/v1/sites/demo/settings", json={"visibility": "threshold"}, headers=bearer
        ),
        "dashboard close": dashboard.post(
            "/dashboard/article/closed", data={"csrf": csrf, "article": "a1", "closed": "1"}
        ),
        "dashboard edit": dashboard.post(
            "/dashboard/article/edit", data={"csrf": csrf, "article": "a1", "title": "T"}
        ),
        "dashboard reset": dashboard.post("/dashboard/reset", data={"csrf": csrf, "article": "a1"}),
        "sign-in": stranger.post(
            "/dashboard/sign-in", data={"csrf": stranger_csrf, "site": "demo", "key": key}
        ),
    }
    for name, answer in writes.items():
        assert answer.status_code == 503, (name, answer.get_data(as_text=True)[:300])
        assert answer.get_json()["error"]["code"] == "storage_full", name
        assert int(answer.headers["Retry-After"]) > 0
    # Nothing was half-written: the counts are still the true ones.
    assert got(test, COUNTS) == before["counts"]

    # Room again (the operator raised the bound): writes work and the limits count in Redis.
    for node in nodes:
        node.config_set("maxmemory", 0)
    assert test.get("/readyz").get_json() == {"status": "ok"}
    vote = {"article": "a2", "reader": READERS[5], "reaction": "like"}
    assert test.post("/v1/sites/demo/reactions", json=vote).status_code == 200
    assert test.get(COUNTS).get_json()["articles"]["a2"]["total"] == 2


def test_while_redis_is_full_each_limit_still_holds_counted_in_the_workers_memory(
    full: tuple[Any, str, list[redis.Redis], Any],
) -> None:
    app, key, nodes, client = full
    limited = create_app(
        {**app.config, "RATELIMIT_READ": "3/minute", "RATELIMIT_PUBLISHER": "2/minute"}
    )
    test = limited.test_client()
    bearer = {"Authorization": f"Bearer {key}"}
    vote = {"article": "a1", "reader": READERS[0], "reaction": "love"}
    assert test.post("/v1/sites/demo/reactions", json=vote).status_code == 200
    # Two of the three reads and one of the two publisher requests spent in Redis...
    assert [test.get(COUNTS).status_code for _ in range(2)] == [200, 200]
    assert test.get("/v1/sites/demo/summary", headers=bearer).status_code == 200
    fill(client, nodes)
    # ...are still spent: the worker's count starts from what Redis held of the window.
    assert [test.get(COUNTS).status_code for _ in range(2)] == [200, 429]
    answer = test.get(COUNTS)
    assert answer.get_json()["error"]["code"] == "rate_limited"
    assert 0 < int(answer.headers["Retry-After"]) <= 61
    # A request refused before it reached Redis (an unknown site) spends the same window.
    assert test.get("/v1/sites/nowhere/reactions?article=a1").status_code == 429
    statuses = [test.get("/v1/sites/demo/summary", headers=bearer).status_code for _ in range(2)]
    assert statuses == [200, 429]
    limited.extensions["reactions.store"].client.close()
