"""What gunicorn refuses itself, before the app sees it, is answered in the service's JSON.

The real production gunicorn (gunicorn.conf.py), over a raw socket: a request line or a
header over gunicorn's limits, and a request it cannot parse.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rawhttp import raw_request

pytestmark = pytest.mark.slow

HOST = b"Host: 127.0.0.1"


def assert_json_error(answer: Any, status: int, code: str) -> None:
    assert answer.status == status, answer.body[:300]
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.json()["error"]["code"] == code
    assert isinstance(answer.json()["error"]["message"], str)


def test_a_request_line_over_gunicorns_limit_is_a_json_414(live_server: Any) -> None:
    path = b"/v1/sites/demo/reactions?article=" + b"a" * 9000
    answer = raw_request(live_server.url, b"GET " + path + b" HTTP/1.1\r\n" + HOST)
    assert_json_error(answer, 414, "bad_request")


def test_a_header_over_gunicorns_limit_is_a_json_431(live_server: Any) -> None:
    head = b"GET /healthz HTTP/1.1\r\n" + HOST + b"\r\nX-Long: " + b"b" * 9000
    assert_json_error(raw_request(live_server.url, head), 431, "bad_request")


def test_a_request_gunicorn_cannot_parse_is_a_json_400(live_server: Any) -> None:
    assert_json_error(raw_request(live_server.url, b"NOT A REQUEST\r\n" + HOST), 400, "bad_request")


def test_a_request_line_of_8190_bytes_reaches_the_app(live_server: Any) -> None:
    start, end = b"GET /v1/sites/nope/reactions?article=", b" HTTP/1.1"
    path = start + b"a" * (8190 - len(start) - len(end))
    answer = raw_request(live_server.url, path + end + b"\r\n" + HOST)
    assert_json_error(answer, 404, "unknown_site")  # the app's own answer
