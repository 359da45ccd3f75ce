"""What guards the operations endpoints, and the bound on what a client can name in Redis.

``/metrics`` takes ``METRICS_TOKEN`` as a bearer token when one is set; ``/readyz`` (a
write and an INFO per call) has a limit per address; a request to a site id a client made
up leaves no key that holds it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from openapi_core import OpenAPI

from tests.helpers import app_config
from tests.test_openapi import check
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.ops.health import openapi_document

TOKEN = "a-long-random-metrics-token"


def test_metrics_is_public_without_a_token(make_app: Callable[..., Any]) -> None:
    answer = make_app().test_client().get("/metrics")
    assert answer.status_code == 200
    assert "reactions_http_requests" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}",
     "Bearer \u00e9t\u00e9", TOKEN],
)  # fmt: skip
def test_metrics_with_a_token_refuses_every_other_answer_with_a_json_401(
    make_app: Callable[..., Any], authorization: str | None
) -> None:
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "reactions_http_requests" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_metrics_with_a_token_answers_the_scraper_that_sends_it(
    make_app: Callable[..., Any], scheme: str
) -> None:
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    answer = client.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
    assert answer.status_code == 200
    assert "reactions_http_requests" in answer.get_data(as_text=True)


def test_readyz_is_limited_per_address(make_app: Callable[..., Any]) -> None:
    client = make_app(RATELIMIT_READYZ="3/minute").test_client()
    one = {"REMOTE_ADDR": "198.51.100.10"}
    statuses = [client.get("/readyz", environ_base=one).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/readyz", environ_base=one)
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Another address (the load balancer's own) has its own budget.
    assert client.get("/readyz", environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 200


def test_a_made_up_site_id_is_in_no_key(
    make_app: Callable[..., Any], redis_client: redis.Redis
) -> None:
    app = make_app()
    with app.app_context():
        get_sites().create("demo", "Demo", [])
    client = app.test_client()
    made_up = "z" * 8000
    body = json.dumps({"article": "a1", "reader": "reader-token-0000000001", "reaction": "love"})
    for site in (made_up, "demo"):  # an unknown site, and a known one for comparison
        url = f"/v1/sites/{site}/reactions"
        assert client.post(url, data=body, content_type="text/plain").status_code in {404, 200}
        assert client.get(f"{url}?article=a1").status_code in {404, 200}
        assert client.options(url).status_code in {404, 204}
        assert client.get(f"/v1/sites/{site}/summary").status_code in {401, 404}
    keys = redis_client.keys("*")
    assert any(key.startswith("rx:rl:") and "{demo|" in key for key in keys)  # counted
    assert max(len(key.encode()) for key in keys) <= 200, max(keys, key=len)[:120]
    assert not any("zzzz" in key for key in keys)


def test_the_answers_of_metrics_and_readyz_are_the_documents(make_app: Callable[..., Any]) -> None:
    spec = OpenAPI.from_dict(openapi_document())
    client = make_app(METRICS_TOKEN=TOKEN, RATELIMIT_READYZ="1/minute").test_client()
    check(spec, client.get("/metrics"))  # 401
    check(spec, client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}))
    check(spec, client.get("/readyz"))
    check(spec, client.get("/readyz"))  # 429


@pytest.mark.slow  # a redis-server of its own, on a unix socket
def test_a_unix_socket_redis_url_serves_with_its_limits(redis_server: RedisServer) -> None:
    folder = Path(tempfile.mkdtemp(prefix="rx", dir="/tmp"))  # a socket path is short
    socket = folder / "redis.sock"
    unix = ("--unixsocket", str(socket), "--unixsocketperm", "700")
    server = RedisServer(folder, appendonly=False, extra_args=unix).start()
    app = create_app(
        app_config(
            redis_server, REDIS_URL=f"unix://{socket}", RATELIMIT_ENABLED=True,
            RATELIMIT_PUBLISHER="1/minute",
        )
    )  # fmt: skip
    try:
        with app.app_context():
            _, key = get_sites().create("demo", "Demo", [])
        client = app.test_client()
        bearer = {"Authorization": f"Bearer {key}"}
        statuses = [client.get("/v1/sites/demo/summary", headers=bearer).status_code for _ in "ab"]
        assert statuses == [200, 429]
    finally:
        app.extensions["reactions.store"].client.close()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
