"""What a reader's request may hold, at its edges: article ids, titles, URLs, the query.

Each limit is tried at its value and one past it. A refused request is a 400 with the JSON
error code the widget and the docs name, and leaves Redis as it was; an accepted one is
seen back through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import redis

SITE = "demo"
URL = f"/v1/sites/{SITE}/reactions"
READER = "reader-0123456789abcdef"
FOUR_BYTES = "\U0001f600"  # one character, four bytes of UTF-8
TWO_BYTES = "\u00e9"


@pytest.fixture
def api_key(make_site: Callable[..., str]) -> str:
    """Return the API key of the site ``demo`` (any origin)."""
    return make_site(SITE)


def snapshot(client: redis.Redis) -> dict[str, Any]:
    """Return every key of Redis with its serialized value."""
    return {key: client.dump(key) for key in sorted(client.keys("*"))}


def post(client: Any, article: str = "a1", **fields: Any) -> Any:
    """POST a reader's "love" to an article of the demo site, with other fields."""
    return client.post(URL, json={"article": article, "reader": READER, "reaction": "love",
                                  **fields})  # fmt: skip


def counts(client: Any, *articles: str) -> Any:
    """GET the counts of articles of the demo site."""
    return client.get(f"{URL}?" + "&".join(f"article={quote(a, safe='')}" for a in articles))


def record(client: Any, key: str, article: str) -> dict[str, Any]:
    """Return the publisher's record of an article (its title, URL, counts, closed)."""
    res = client.get(f"/v1/sites/{SITE}/article?article={quote(article, safe='')}",
                     headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def assert_refused(res: Any, code: str) -> None:
    """Assert a 400 JSON error with its code."""
    assert res.status_code == 400, res.get_data(as_text=True)
    assert res.headers["Content-Type"] == "application/json"
    assert res.get_json()["error"]["code"] == code


# -- article ids: at most 512 bytes of UTF-8, whatever the characters ----------------------


@pytest.mark.parametrize(
    "article",
    ["a" * 512, TWO_BYTES * 256, FOUR_BYTES * 128, "a" * 129],
    ids=["512-ascii", "256-two-byte", "128-four-byte", "129-ascii"],
)
def test_an_id_of_at_most_512_bytes_is_counted(client: Any, api_key: str, article: str) -> None:
    assert post(client, article).status_code == 200
    res = counts(client, article)
    assert res.status_code == 200
    assert res.get_json()["articles"][article]["counts"]["love"] == 1


@pytest.mark.parametrize(
    "article",
    ["a" * 513, TWO_BYTES * 257, FOUR_BYTES * 129, FOUR_BYTES * 200],
    ids=["513-ascii", "257-two-byte", "129-four-byte", "200-four-byte"],
)
def test_an_id_over_512_bytes_is_400_on_the_post_and_the_get_and_changes_nothing(
    client: Any, api_key: str, redis_client: redis.Redis, article: str
) -> None:
    before = snapshot(redis_client)
    assert_refused(post(client, article), "invalid_article")
    assert_refused(counts(client, article), "invalid_article")
    assert snapshot(redis_client) == before


@pytest.mark.parametrize(
    ("article", "says"),
    [
        ("a\\ud800", "valid UTF-8"),  # a JSON escape of a lone surrogate: no character
        ("a" * 200 + "\\udc00", "valid UTF-8"),  # one in an id long enough to be measured
        ("a\\u0007", "control characters"),
        ("a" * 200 + "\\u0000", "control characters"),
    ],
)
def test_an_id_that_is_not_text_is_400_saying_why_and_changes_nothing(
    client: Any, api_key: str, redis_client: redis.Redis, article: str, says: str
) -> None:
    before = snapshot(redis_client)
    body = f'{{"article": "{article}", "reader": "{READER}", "reaction": "love"}}'
    res = client.post(URL, data=body, content_type="application/json")
    assert_refused(res, "invalid_article")
    assert says in res.get_json()["error"]["message"]
    assert snapshot(redis_client) == before


def test_a_repeated_id_counts_once_toward_the_100_articles_of_a_get(
    client: Any, api_key: str
) -> None:
    ids = [f"a{i}" for i in range(100)]
    res = counts(client, *ids, "a0", "a99")
    assert res.status_code == 200
    assert list(res.get_json()["articles"]) == ids  # once each, in the order first named
    assert_refused(counts(client, *ids, "a100"), "bad_request")


# -- the counts GET's query: UTF-8 or a 400 ---------------------------------------------


@pytest.mark.parametrize("raw", ["article=\xc3\xa9%FF", "article=\xc3\xa9%C3", "\xc3\xa9%FF=1"])
def test_a_non_ascii_query_with_a_bad_percent_escape_is_400(
    client: Any, api_key: str, raw: str
) -> None:
    # Raw UTF-8 (é) beside a percent-encoded byte that is not UTF-8: never read as U+FFFD,
    # which would name another article. WSGI gives the raw bytes as latin-1.
    assert_refused(client.get(URL, environ_overrides={"QUERY_STRING": raw}), "bad_request")


def test_a_non_ascii_query_with_good_escapes_names_its_article(client: Any, api_key: str) -> None:
    assert post(client, "é ü").status_code == 200
    res = client.get(URL, environ_overrides={"QUERY_STRING": "article=\xc3\xa9+%C3%BC"})
    assert res.status_code == 200
    assert res.get_json()["articles"]["é ü"]["counts"]["love"] == 1


# -- titles: trimmed, blank is none, at most 300 characters -------------------------------


def test_a_title_is_trimmed_and_a_blank_one_is_no_title(client: Any, api_key: str) -> None:
    assert post(client, "t1", title="  The story  ").status_code == 200
    assert record(client, api_key, "t1")["title"] == "The story"
    assert post(client, "t2", title="   ").status_code == 200
    assert record(client, api_key, "t2")["title"] is None


def test_a_title_of_300_characters_is_kept_and_301_is_400(
    client: Any, api_key: str, redis_client: redis.Redis
) -> None:
    assert post(client, "t1", title="é" * 300).status_code == 200
    assert record(client, api_key, "t1")["title"] == "é" * 300
    before = snapshot(redis_client)
    assert_refused(post(client, "t2", title="é" * 301), "bad_request")
    assert snapshot(redis_client) == before


# -- URLs: http(s) with a host, at most 2048 characters -----------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript://example.com/%0Aalert(1)",  # a host, but not http(s)
        "https:///x",  # http(s), but no host
        "https://",
        "ftp://example.com/x",
        "//example.com/x",
        "https://example.com:99999/x",  # a port out of range
        "https://exa mple.com/x",
        "https://example.com/" + "x" * 2029,  # 2049 characters
        7,
    ],
)
def test_a_url_that_is_not_an_http_url_with_a_host_is_400_and_changes_nothing(
    client: Any, api_key: str, redis_client: redis.Redis, url: Any
) -> None:
    before = snapshot(redis_client)
    assert_refused(post(client, "u1", url=url), "bad_request")
    assert snapshot(redis_client) == before


@pytest.mark.parametrize(
    "url", ["https://example.com/" + "x" * 2028, "HTTP://Example.com:8080/x", "http://[::1]/x"]
)
def test_an_http_url_with_a_host_is_kept(client: Any, api_key: str, url: str) -> None:
    assert post(client, "u1", url=url).status_code == 200
    assert record(client, api_key, "u1")["url"] is not None
