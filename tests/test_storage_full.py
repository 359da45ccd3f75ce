"""A Redis out of memory (maxmemory reached, noeviction): 503 storage_full, never a 500.

A real redis-server with a tiny maxmemory is filled until it refuses writes; then every
endpoint that writes answers 503 ``storage_full`` with Retry-After, reads still work, and
``/readyz`` (200: the service still serves reads) says the storage is full.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import app_config
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.local.run import DEFAULT_MAXMEMORY

# Each test starts a redis-server of its own.
pytestmark = pytest.mark.slow

READER = "reader-token-0000000001"


@pytest.fixture
def full(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[Any, str, redis.Redis]]:
    """Return an app on a Redis of 2 MB that is full, its site's API key, and a client."""
    server = RedisServer(tmp_path / "small", appendonly=False, maxmemory="2mb").start()
    client = redis.Redis.from_url(server.url, decode_responses=True)
    app = create_app(app_config(redis_server, REDIS_URL=server.url, RATELIMIT_ENABLED=True))
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    test = app.test_client()
    assert (
        test.post(
            "/v1/sites/demo/reactions",
            json={"article": "kept", "reader": READER, "reaction": "love"},
        ).status_code
        == 200
    )
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for n in range(100_000):
            client.set(f"filler:{n}", "x" * 10_000)
    # Right at the bound, a freed buffer lets the next small write in; well past it,
    # none fits: a bound lowered under the data, as when a Redis fills up and stays full.
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", used // 2)
    try:
        yield app, key, client
    finally:
        app.extensions["reactions.store"].client.close()
        client.close()
        server.stop()


def test_a_full_redis_is_503_storage_full_everywhere_and_readyz_says_so(
    full: tuple[Any, str, redis.Redis],
) -> None:
    app, key, client = full
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    test = app.test_client()
    bearer = {"Authorization": f"Bearer {key}"}
    writes = [
        # A new article (the admission script writes), a new vote on an existing one.
        test.post(
            "/v1/sites/demo/reactions",
            json={"article": "new", "reader": READER, "reaction": "love"},
        ),
        test.post(
            "/v1/sites/demo/reactions",
            json={"article": "kept", "reader": "reader-token-0000000002", "reaction": "like"},
        ),
        test.patch("/v1/sites/demo/article?article=kept", json={"title": "T"}, headers=bearer),
        test.delete("/v1/sites/demo/reactions?article=kept", headers=bearer),
    ]
    for answer in writes:
        assert answer.status_code == 503, answer.get_data(as_text=True)
        assert answer.get_json()["error"]["code"] == "storage_full"
        assert int(answer.headers["Retry-After"]) > 0
    # Ready still (reads are served), and it says the storage is full.
    ready = test.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok", "storage": "full"}
    # With rate limits on, a read is served: its window, which Redis cannot count, is
    # counted in the worker's memory (tests/test_full_redis_reads.py tries every read).
    read = test.get("/v1/sites/demo/reactions?article=kept")
    assert read.status_code == 200 and read.get_json()["articles"]["kept"]["total"] == 1
    # The top list too: its sum of the days cannot be kept, so it is made for the answer.
    listed = test.get("/v1/sites/demo/top?days=2")
    assert listed.status_code == 200, listed.get_json()
    assert listed.get_json()["articles"] == []  # "kept" has no title
    # Room again (the operator raised the bound): the service is ready and writes work.
    client.config_set("maxmemory", "64mb")
    assert test.get("/readyz").get_json() == {"status": "ok"}
    assert (
        test.post(
            "/v1/sites/demo/reactions",
            json={"article": "new", "reader": READER, "reaction": "love"},
        ).status_code
        == 200
    )


def test_the_run_command_starts_redis_with_a_bound_and_noeviction(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "run", appendonly=False, maxmemory=DEFAULT_MAXMEMORY)
    with server:
        client = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
        assert int(client.config_get("maxmemory")["maxmemory"]) == 1024**3
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        client.close()
