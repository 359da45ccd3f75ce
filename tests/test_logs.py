"""One log line per request, with a request id, and never a reader token or an address."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.helpers import app_config, start_gunicorn
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer

READER = "reader-SECRET0123456789"
ADDRESS = "203.0.113.77"
URL = "/v1/sites/demo/reactions"


class Lines(logging.Handler):
    """Collect the request log lines of this process."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[list[str]]:
    handler = Lines()
    logger = logging.getLogger("widget.requests")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def traffic(client: Any) -> list[Any]:
    """Send a GET with a reader token, a POST and a 404, from a client address; return them."""
    env = {"REMOTE_ADDR": ADDRESS}
    body = json.dumps({"article": "a1", "reader": READER, "reaction": "love"})
    return [
        client.get(f"{URL}?article=a1&reader={READER}", environ_base=env),
        client.post(URL, data=body, content_type="text/plain", environ_base=env),
        client.get("/nowhere?token=abc", environ_base=env),
    ]


def test_text_line_per_request_without_secrets(
    client: Any, make_site: Callable[..., str], lines: list[str]
) -> None:
    make_site("demo")
    answers = traffic(client)
    assert [a.status_code for a in answers] == [200, 200, 404]
    assert len(lines) == 3
    pattern = r"\S+Z (GET|POST) (\S+) (\d{3}) [\d.]+ms id=([0-9a-f]{32})"
    parsed = [re.fullmatch(pattern, line) for line in lines]
    assert all(parsed), lines
    assert [(m[1], m[2], m[3]) for m in parsed if m] == [
        ("GET", URL, "200"),
        ("POST", URL, "200"),
        ("GET", "/nowhere", "404"),
    ]
    # The id in the log is the one the client was given.
    assert [m[4] for m in parsed if m] == [a.headers["X-Request-ID"] for a in answers]
    text = "\n".join(lines)
    assert READER not in text and ADDRESS not in text and "?" not in text


def test_json_lines(redis_server: RedisServer, redis_client: Any, lines: list[str]) -> None:
    app = create_app(app_config(redis_server, LOG_FORMAT="json"))
    with app.app_context():
        get_sites().create("demo", "Demo", [])
    traffic(app.test_client())
    records = [json.loads(line) for line in lines]
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("GET", URL, 200),
        ("POST", URL, 200),
        ("GET", "/nowhere", 404),
    ]
    assert all(r["duration_ms"] >= 0 and len(r["request_id"]) == 32 for r in records)
    assert READER not in "".join(lines) and ADDRESS not in "".join(lines)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("0b6e6f0c-6a43-4a8e-9d3c-1b4f5f0d2a11", True),
        ("edge:1f2e3d.4", True),
        ("has space", False),
        ('quote"inject', False),
        ("x" * 129, False),
        ("", False),
    ],
)
def test_request_id_is_taken_when_sane(
    client: Any, lines: list[str], given: str, kept: bool
) -> None:
    res = client.get("/healthz", headers={"X-Request-ID": given})
    rid = res.headers["X-Request-ID"]
    assert (rid == given) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", rid)
    assert lines[-1].endswith(f" id={rid}")


def test_errors_and_control_characters_stay_on_one_line(client: Any, lines: list[str]) -> None:
    res = client.get("/a%0aforged%20200%20line")
    assert res.status_code == 404 and res.headers["X-Request-ID"]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "/a\\x0aforged\\x20200\\x20line 404" in lines[0]


def test_bad_log_format_is_refused_at_start(redis_server: RedisServer) -> None:
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app(app_config(redis_server, LOG_FORMAT="xml"))


@pytest.mark.slow
def test_gunicorn_writes_one_json_line_per_request(
    redis_server: RedisServer, tmp_path: Any
) -> None:
    server = start_gunicorn(redis_server.url, tmp_path, workers=2, LOG_FORMAT="json")
    try:
        for i in range(5):
            res = requests.get(
                f"{server.url}/healthz?reader={READER}",
                headers={"X-Request-ID": f"probe-{i}", "X-Forwarded-For": ADDRESS},
                timeout=5,
            )
            assert res.headers["X-Request-ID"] == f"probe-{i}"
    finally:
        server.stop()
    log = server.log.read_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    probes = [r for r in records if r["request_id"].startswith("probe-")]
    assert [r["request_id"] for r in probes] == [f"probe-{i}" for i in range(5)]
    assert {(r["method"], r["path"], r["status"]) for r in probes} == {("GET", "/healthz", 200)}
    assert (
        READER not in log and ADDRESS not in log and "127.0.0.1" not in log.replace(server.url, "")
    )
