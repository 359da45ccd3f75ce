"""Headers and labels a client could abuse: nosniff on every answer, and a metrics method
label that a client cannot grow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import app_config
from tests.rawhttp import raw_request
from widget import create_app
from widget.local.redis_server import RedisServer

READER = "reader-0123456789abcdef"


@pytest.fixture
def key(make_site: Callable[..., str]) -> str:
    return make_site("demo", origins=("https://news.example",))


def answers(base: str, key: str) -> dict[str, requests.Response]:
    """Return one answer of each kind the service gives, through a real server."""
    api = f"{base}/v1/sites/demo"
    auth = {"Authorization": f"Bearer {key}"}
    counts = requests.get(f"{api}/reactions", params={"article": "a1"}, timeout=5)
    return {
        "counts": counts,
        "counts 304": requests.get(
            f"{api}/reactions",
            params={"article": "a1"},
            headers={"If-None-Match": counts.headers["ETag"]},
            timeout=5,
        ),
        "post": requests.post(
            f"{api}/reactions",
            json={"article": "a1", "reader": READER, "reaction": "love"},
            timeout=5,
        ),
        "post 400": requests.post(
            f"{api}/reactions", data="{", headers={"Content-Type": "text/plain"}, timeout=5
        ),
        "post 403": requests.post(
            f"{api}/reactions", json={}, headers={"Origin": "https://evil.example"}, timeout=5
        ),
        "post 415": requests.post(
            f"{api}/reactions", data="x", headers={"Content-Type": "image/png"}, timeout=5
        ),
        "preflight": requests.options(
            f"{api}/reactions",
            headers={
                "Origin": "https://news.example",
                "Access-Control-Request-Method": "POST",
            },
            timeout=5,
        ),
        "publisher": requests.get(f"{api}/summary", headers=auth, timeout=5),
        "publisher export": requests.get(f"{api}/export", headers=auth, timeout=5),
        "publisher 401": requests.get(f"{api}/summary", timeout=5),
        "unknown site": requests.get(f"{base}/v1/sites/nosuch/reactions?article=a", timeout=5),
        "404": requests.get(f"{base}/nowhere", timeout=5),
        "405": requests.put(f"{api}/reactions", timeout=5),
        "healthz": requests.get(f"{base}/healthz", timeout=5),
        "readyz": requests.get(f"{base}/readyz", timeout=5),
        "metrics": requests.get(f"{base}/metrics", timeout=5),
        "openapi": requests.get(f"{base}/v1/openapi.json", timeout=5),
        "static": requests.get(f"{base}/static/embed.js", timeout=5),
        "static 404": requests.get(f"{base}/static/nothing.js", timeout=5),
        "dashboard": requests.get(f"{base}/dashboard/", timeout=5),
        "demo": requests.get(f"{base}/demo", timeout=5),
    }


def test_every_answer_says_nosniff(live_server: Any, key: str) -> None:
    got = answers(live_server.url, key)
    assert got["post 400"].status_code == 400 and got["counts 304"].status_code == 304
    missing = {
        name: res.status_code
        for name, res in got.items()
        if res.headers.get("X-Content-Type-Options") != "nosniff"
    }
    assert missing == {}


def test_an_unexpected_error_says_nosniff(redis_server: RedisServer, redis_client: Any) -> None:
    app = create_app(app_config(redis_server, TESTING=False))

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("a defect")

    res = app.test_client().get("/boom")
    app.extensions["reactions.store"].client.close()
    assert res.status_code == 500
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def method_labels(base: str) -> set[str]:
    """Return the method label values of the requests counter."""
    text = requests.get(f"{base}/metrics", timeout=5).text
    labels = set()
    for line in text.splitlines():
        if line.startswith("reactions_http_requests_total{"):
            labels.add(line.split('method="', 1)[1].split('"', 1)[0])
    return labels


def test_a_made_up_method_is_counted_as_other(live_server: Any, key: str) -> None:
    for method in (b"BREW", b"FOO-1", b"PROPFIND", b"get"):
        answer = raw_request(
            live_server.url,
            method + b" /v1/sites/demo/reactions?article=a HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close",
        )
        assert answer.status in {400, 405}
    labels = method_labels(live_server.url)
    assert "other" in labels
    assert labels <= {"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "other"}
