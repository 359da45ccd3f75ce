"""The publisher API's paging cursor, forged: one holding NaN, Infinity or garbage is a 400."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

URL = "/v1/sites/demo/articles"
READER = "reader-0123456789abcdef"


def cursor_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def key(client: Any, make_site: Callable[..., str]) -> str:
    """Return the API key of a site with a few articles."""
    api_key = make_site("demo")
    for i in range(5):
        body = {"article": f"a{i}", "reader": READER, "reaction": "love", "title": f"T{i}"}
        assert client.post("/v1/sites/demo/reactions", json=body).status_code == 200
    return api_key


def get(client: Any, key: str, **params: str) -> Any:
    return client.get(URL, query_string=params, headers={"Authorization": f"Bearer {key}"})


BAD_JSON = [
    b'["total",NaN,"x"]',
    b'["total",Infinity,"x"]',
    b'["total",-Infinity,"x"]',
    b'["total",1' + b"0" * 400 + b',"x"]',  # a whole number no float holds
    b'["total",1e400,"x"]',  # Infinity, spelled otherwise
    b'["total",1,"\\ud800"]',  # a lone surrogate
    b'["total",true,"x"]',
    b'["total",1,""]',
    b'["total",1,["x"]]',
    b'["total",1,"x","y"]',
    b'["total",{},"x"]',
    b'{"total":1}',
    b'"total"',
    b"[]",
    b"null",
    b"\xff\xfe",
    b'["title",NaN,"\\udfff"]',
]


@pytest.mark.parametrize("raw", BAD_JSON)
def test_a_cursor_with_a_value_redis_cannot_take_is_400(client: Any, key: str, raw: bytes) -> None:
    sort = "title" if b"title" in raw else "total"
    res = get(client, key, sort=sort, cursor=cursor_of(raw))
    assert res.status_code == 400, res.get_json()
    assert res.get_json()["error"]["code"] == "bad_request"


def test_fuzzed_cursors_are_never_a_500(client: Any, key: str) -> None:
    made = get(client, key, limit="2").get_json()["next_cursor"]
    assert made
    rng = random.Random(10)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=%+/."
    for _ in range(200):
        chars = list(made)
        for _ in range(rng.randint(1, 4)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        fuzzed = "".join(chars)
        assert get(client, key, limit="2", cursor=fuzzed).status_code in {200, 400}, fuzzed
    for _ in range(200):
        value = rng.choice([0, -1, 2**53, 1.5, -0.0, "1", None, [], 1e308, -1e308])
        member = rng.choice(["x", "a" * 200, "\u0000", "ü", "(", "[", "-", "+"])
        fuzzed = cursor_of(
            json.dumps([rng.choice(["total", "love", "recent"]), value, member]).encode()
        )
        res = get(client, key, sort="total", cursor=fuzzed)
        assert res.status_code in {200, 400}, (fuzzed, res.get_json())


def test_a_cursor_the_service_made_still_pages(client: Any, key: str) -> None:
    first = get(client, key, limit="2").get_json()
    second = get(client, key, limit="2", cursor=first["next_cursor"]).get_json()
    seen = [a["article"] for a in first["articles"] + second["articles"]]
    assert len(seen) == len(set(seen)) == 4
