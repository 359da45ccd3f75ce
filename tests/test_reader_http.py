"""The reader API at the HTTP edge, where attackers probe: bad text, big bodies, odd queries."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.rawhttp import chunked, raw_request, send_then_read

SITE = "demo"
URL = f"/v1/sites/{SITE}/reactions"
READER = "reader-0123456789abcdef"


@pytest.fixture
def site(make_site: Callable[..., str]) -> str:
    return make_site(SITE)


def snapshot(client: redis.Redis) -> dict[str, Any]:
    """Return every key of Redis with its serialized value."""
    return {key: client.dump(key) for key in sorted(client.keys("*"))}


# -- a lone surrogate, and query bytes that are not UTF-8 -------------------------------

# A JSON escape of a lone surrogate: valid JSON, but no character of UTF-8.
SURROGATE_BODIES = {
    "article": ('{"article": "a\\ud800", "reader": "%s", "reaction": "love"}', "invalid_article"),
    "title": (
        '{"article": "a1", "reader": "%s", "reaction": "love", "title": "x\\ud800"}',
        "bad_request",
    ),
    "url": (
        '{"article": "a1", "reader": "%s", "reaction": "love", '
        '"url": "https://example.com/\\udc00"}',
        "bad_request",
    ),
}


@pytest.mark.parametrize("field", sorted(SURROGATE_BODIES))
def test_a_lone_surrogate_in_a_post_is_400_and_changes_nothing(
    client: Any, site: str, redis_client: redis.Redis, field: str
) -> None:
    template, code = SURROGATE_BODIES[field]
    before = snapshot(redis_client)
    res = client.post(URL, data=template % READER, content_type="application/json")
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == code
    assert snapshot(redis_client) == before


@pytest.mark.parametrize(
    "query",
    [
        "article=%ED%A0%80",  # a surrogate, percent-encoded as UTF-8 would if it could
        "article=a&article=%ED%A0%80",
        "article=%FF",
        "article=%C3",  # a cut sequence
        "article=a&reader=%ED%A0%80",
        "%FF=1&article=a",
    ],
)
def test_percent_encoded_bytes_that_are_not_utf8_are_400(
    client: Any, site: str, query: str
) -> None:
    res = client.get(f"{URL}?{query}")
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "bad_request"


def test_a_literal_percent_in_an_article_id_is_still_that_id(client: Any, site: str) -> None:
    # "%FF" spelled as the widget sends it (encodeURIComponent) is an id like any other;
    # before, the bytes %FF were read as this same id.
    res = client.get(f"{URL}?article=%25FF")
    assert res.status_code == 200
    assert list(res.get_json()["articles"]) == ["%FF"]


@pytest.mark.parametrize("raw", ["article=\xff", "article=\xed\xa0\x80", "article=a\xc3"])
def test_raw_bytes_that_are_not_utf8_are_400_through_the_app(
    client: Any, site: str, raw: str
) -> None:
    # A server that passes raw bytes on (WSGI gives them as latin-1), as older gunicorns do.
    res = client.get(URL, environ_overrides={"QUERY_STRING": raw})
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("raw", [b"article=\xff", b"article=\xed\xa0\x80", b"article=%FF"])
def test_raw_bytes_that_are_not_utf8_are_400_through_gunicorn(
    live_server: Any, site: str, raw: bytes
) -> None:
    answer = raw_request(
        live_server.url,
        b"GET " + URL.encode() + b"?" + raw + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close",
    )
    # gunicorn 22+ refuses raw non-ASCII in the request line itself (with its own page);
    # an older one hands it to the app, which refuses it (the test above).
    assert answer.status == 400


# -- bodies over the bound -------------------------------------------------------------

VALID = b'{"article": "a1", "reader": "reader-0123456789abcdef", "reaction": "love"}'
POST_HEAD = (
    b"POST " + URL.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Type: application/json\r\nConnection: close"
)


def padded(size: int) -> bytes:
    """Return a body of the size that starts with a valid POST (JSON allows the spaces)."""
    return VALID + b" " * (size - len(VALID))


@pytest.mark.parametrize("size", [4097, 5000, 64 * 1024])
def test_a_chunked_body_over_4_kib_is_413_and_counts_nothing(
    live_server: Any, site: str, redis_client: redis.Redis, size: int
) -> None:
    before = snapshot(redis_client)
    answer = raw_request(
        live_server.url, POST_HEAD + b"\r\nTransfer-Encoding: chunked", chunked(padded(size))
    )
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert snapshot(redis_client) == before


def test_a_chunked_body_of_4_kib_is_counted(live_server: Any, site: str) -> None:
    answer = raw_request(
        live_server.url, POST_HEAD + b"\r\nTransfer-Encoding: chunked", chunked(padded(4096))
    )
    assert answer.status == 200
    assert answer.json()["total"] == 1


@pytest.mark.parametrize("send", [raw_request, send_then_read])
@pytest.mark.parametrize("size", [64 * 1024, 1024 * 1024])
def test_a_big_body_with_a_length_gets_its_413_read(
    live_server: Any, site: str, redis_client: redis.Redis, send: Any, size: int
) -> None:
    before = snapshot(redis_client)
    answer = send(live_server.url, POST_HEAD + b"\r\nContent-Length: %d" % size, padded(size))
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert snapshot(redis_client) == before


@pytest.mark.parametrize("length", [True, False])
def test_the_app_reads_the_rest_of_a_refused_body_itself(
    client: Any, site: str, length: bool
) -> None:
    # gunicorn 27 lingers on close and drains 64 KiB; older ones reset the connection on
    # unread bytes. The app drains the body itself, so the 413 arrives under any of them.
    body = io.BytesIO(padded(64 * 1024))
    environ = {"wsgi.input": body, "wsgi.input_terminated": True}
    headers = {"Content-Type": "application/json"}
    if length:
        headers["Content-Length"] = str(64 * 1024)
    res = client.post(URL, headers=headers, environ_overrides=environ)
    assert res.status_code == 413
    assert body.read() == b""
