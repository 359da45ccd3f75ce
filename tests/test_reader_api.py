"""The reader API over HTTP: the calls the widget makes, every error, CORS and caching."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
import redis

from tests.helpers import KEYS, zeros
from widget.reader.query import parse_query

# Every test here runs on one Redis and again on a real Redis Cluster (conftest.py).
pytestmark = pytest.mark.on_cluster_too


SITE = "demo"
ORIGIN = "https://news.example"
URL = f"/v1/sites/{SITE}/reactions"
READER = "reader-0123456789abcdef"


def snapshot(client: redis.Redis) -> dict[str, Any]:
    """Return every key of Redis with its serialized value: 'nothing changed' made exact."""
    return {key: client.dump(key) for key in sorted(client.keys("*"))}


@pytest.fixture
def site(make_site: Callable[..., str]) -> str:
    return make_site(SITE, origins=(ORIGIN,))


def post(client: Any, body: Any, **kw: Any) -> Any:
    kw.setdefault("headers", {"Origin": ORIGIN})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    kw.setdefault("content_type", "text/plain;charset=UTF-8")
    return client.post(URL, data=body, **kw)


def body(reaction: str | None = "love", **extra: Any) -> dict[str, Any]:
    return {"article": "a1", "reader": READER, "reaction": reaction, **extra}


# -- the happy path ----------------------------------------------------------------------


@pytest.mark.parametrize("reaction", KEYS)
def test_post_sets_a_reaction_and_answers_the_counts(client: Any, site: str, reaction: str) -> None:
    res = post(client, body(reaction))
    assert res.status_code == 200
    assert res.get_json() == {
        "article": "a1",
        "counts": zeros(**{reaction: 1}),
        "total": 1,
        "mine": reaction,
    }
    assert res.headers["Cache-Control"] == "no-store"
    assert res.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_switch_repeat_and_withdraw(client: Any, site: str) -> None:
    post(client, body("love"))
    post(client, body("love", reader="another-reader-0001"))
    assert post(client, body("hated")).get_json()["counts"] == zeros(love=1, hated=1)
    assert post(client, body("hated")).get_json()["counts"] == zeros(love=1, hated=1)
    res = post(client, body(None)).get_json()
    assert res["counts"] == zeros(love=1) and res["mine"] is None and res["total"] == 1


def test_json_content_type_is_accepted_too(client: Any, site: str) -> None:
    res = client.post(URL, json=body("want"), headers={"Origin": ORIGIN})
    assert res.status_code == 200 and res.get_json()["counts"]["want"] == 1


def test_a_program_without_origin_is_served(client: Any, site: str) -> None:
    assert post(client, body("like"), headers={}).status_code == 200


def test_get_counts_for_many_articles(client: Any, site: str) -> None:
    post(client, body("love", article="one", title="One", url="https://news.example/one"))
    res = client.get(f"{URL}?article=one&article=two", headers={"Origin": ORIGIN})
    assert res.status_code == 200
    data = res.get_json()
    assert data["site"] == SITE
    assert [r["key"] for r in data["reactions"]] == list(KEYS)
    assert data["reactions"][0] == {"key": "love", "label": "Love It", "emoji": "😍"}
    assert data["articles"] == {
        "one": {"counts": zeros(love=1), "total": 1},
        "two": {"counts": zeros(), "total": 0},
    }
    assert res.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in res.headers["Vary"]


def test_get_with_reader_shows_mine_and_is_private(client: Any, site: str) -> None:
    post(client, body("had"))
    res = client.get(f"{URL}?article=a1&article=a2&reader={READER}")
    articles = res.get_json()["articles"]
    assert articles["a1"]["mine"] == "had" and articles["a2"]["mine"] is None
    assert res.headers["Cache-Control"] == "private, no-store"


def test_counts_are_cacheable_with_etag_and_304(client: Any, site: str) -> None:
    first = client.get(f"{URL}?article=a1")
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "stale-while-revalidate=" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(f"{URL}?article=a1", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    post(client, body("love"))
    changed = client.get(f"{URL}?article=a1", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["articles"]["a1"]["total"] == 1


def test_hundred_articles_in_one_request(client: Any, site: str) -> None:
    ids = "&".join(f"article=article-{i}" for i in range(100))
    res = client.get(f"{URL}?{ids}")
    assert res.status_code == 200 and len(res.get_json()["articles"]) == 100


def test_repeated_ids_are_answered_once(client: Any, site: str) -> None:
    res = client.get(f"{URL}?article=a&article=a&article=b")
    assert list(res.get_json()["articles"]) == ["a", "b"]


def test_an_unknown_query_parameter_is_refused_by_name(client: Any, site: str) -> None:
    res = client.get(f"{URL}?article=a&zeta=1&beta=2&reader=")
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error["code"] == "bad_request" and "'beta'" in error["message"]


def test_ids_come_back_as_the_widget_encoded_them(client: Any, site: str) -> None:
    ids = ["/2026/11/sony-flip-flops", "a b+c&d=e%f", "café 😍", "?x=1;y"]
    for article in ids:
        post(client, body("love", article=article))
    # encodeURIComponent's form, as the widget sends it; and a raw "+" read as a space.
    query = "&".join(f"article={quote(a, safe='')}" for a in ids) + "&article=a+b+c"
    articles = client.get(f"{URL}?{query}").get_json()["articles"]
    assert list(articles) == [*ids, "a b c"]
    assert [articles[a]["total"] for a in ids] == [1, 1, 1, 1]


ODD_QUERIES = ["", "&", "a", "a=", "=b", "a=1&&b=2", "a=%", "a=%zz%2", "a=%e2%82", "a=%FF+%41",
               "a=é%C3%A9", "a==b", "a;b=c", "%61=%62", "a=b=c&a"]  # fmt: skip


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_the_query_is_read_as_werkzeug_reads_it_but_strictly(query: str) -> None:
    # widget/reader/query.py replaces request.args for speed: it must read every query alike,
    # except that bytes that are not UTF-8 are refused (a 400) rather than kept as "%FF".
    try:
        expected = parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(UnicodeDecodeError):
            parse_query(query.encode())
    else:
        assert parse_query(query.encode()) == expected


# -- CORS --------------------------------------------------------------------------------


def test_preflight_for_an_allowed_origin(client: Any, site: str) -> None:
    res = client.options(
        URL,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert res.status_code == 204
    assert res.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in res.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in res.headers["Access-Control-Allow-Headers"]
    assert 0 < int(res.headers["Access-Control-Max-Age"]) <= 7200
    assert "Access-Control-Allow-Credentials" not in res.headers


def test_preflight_for_another_origin_is_refused(client: Any, site: str) -> None:
    res = client.options(URL, headers={"Origin": "https://evil.example"})
    assert res.status_code == 403
    assert res.get_json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in res.headers


def test_get_from_another_origin_is_answered_without_cors(client: Any, site: str) -> None:
    res = client.get(f"{URL}?article=a1", headers={"Origin": "https://evil.example"})
    assert res.status_code == 200
    assert "Access-Control-Allow-Origin" not in res.headers


def test_post_from_another_origin_is_refused_and_changes_nothing(
    client: Any, site: str, redis_client: redis.Redis
) -> None:
    post(client, body("love"))
    before = snapshot(redis_client)
    for origin in ("https://evil.example", "null", "https://news.example:444", ORIGIN + "/"):
        res = post(client, body("hated"), headers={"Origin": origin})
        assert res.status_code == 403, origin
        assert res.get_json()["error"]["code"] == "origin_not_allowed"
    assert snapshot(redis_client) == before


def test_site_without_origins_accepts_any_origin(
    client: Any, make_site: Callable[..., str]
) -> None:
    make_site("open")
    res = client.post(
        "/v1/sites/open/reactions",
        data=json.dumps(body("love")),
        content_type="text/plain",
        headers={"Origin": "https://anywhere.example"},
    )
    assert res.status_code == 200
    assert res.headers["Access-Control-Allow-Origin"] == "https://anywhere.example"


def test_no_cookie_is_ever_set(client: Any, site: str) -> None:
    for res in (post(client, body("love")), client.get(f"{URL}?article=a1")):
        assert "Set-Cookie" not in res.headers


# -- bad input: a clear error, and nothing changes ---------------------------------------

BAD_POSTS: list[tuple[str, Any, int, str]] = [
    ("not json", "{nope", 400, "bad_request"),
    ("json array", [1, 2], 400, "bad_request"),
    ("json string", '"love"', 400, "bad_request"),
    ("not utf-8", b"\xff\xfe{}", 400, "bad_request"),
    ("empty body", "", 400, "bad_request"),
    ("nested too deep", "[" * 4000, 400, "bad_request"),
    ("unknown field", body(extra=1), 400, "bad_request"),
    ("missing article", {"reader": READER, "reaction": "love"}, 400, "bad_request"),
    ("missing reader", {"article": "a1", "reaction": "love"}, 400, "bad_request"),
    ("missing reaction", {"article": "a1", "reader": READER}, 400, "bad_request"),
    ("empty article", body(article=""), 400, "invalid_article"),
    ("article too long", body(article="é" * 257), 400, "invalid_article"),
    ("article with newline", body(article="a\nb"), 400, "invalid_article"),
    ("article with NUL", body(article="a\u0000b"), 400, "invalid_article"),
    ("article with C1 control", body(article="a\u0085b"), 400, "invalid_article"),
    ("article a number", body(article=5), 400, "invalid_article"),
    ("article a list", body(article=["a"]), 400, "invalid_article"),
    ("reader too short", body(reader="short"), 400, "invalid_reader"),
    ("reader too long", body(reader="r" * 65), 400, "invalid_reader"),
    ("reader bad characters", body(reader="reader/with/slash!"), 400, "invalid_reader"),
    ("reader null", body(reader=None), 400, "invalid_reader"),
    ("unknown reaction", body("meh"), 400, "unknown_reaction"),
    ("reaction a number", body(1), 400, "unknown_reaction"),
    ("reaction an object", body({"love": 1}), 400, "unknown_reaction"),
    ("reaction in capitals", body("LOVE"), 400, "unknown_reaction"),
    ("title too long", body(title="t" * 301), 400, "bad_request"),
    ("title a number", body(title=7), 400, "bad_request"),
    ("title with control", body(title="a\u0007b"), 400, "bad_request"),
    ("url javascript", body(url="javascript:alert(1)"), 400, "bad_request"),
    ("url ftp", body(url="ftp://example.com/x"), 400, "bad_request"),
    ("url relative", body(url="/just/a/path"), 400, "bad_request"),
    ("url too long", body(url="https://e.com/" + "x" * 2040), 400, "bad_request"),
    ("url bad port", body(url="https://e.com:99999/"), 400, "bad_request"),
    ("url a list", body(url=["https://e.com"]), 400, "bad_request"),
    ("too large", body(title="x" * 5000), 413, "payload_too_large"),
]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [case[1:] for case in BAD_POSTS],
    ids=[case[0] for case in BAD_POSTS],
)
def test_bad_posts_get_a_clear_error_and_change_nothing(
    client: Any, site: str, redis_client: redis.Redis, payload: Any, status: int, code: str
) -> None:
    post(client, body("love"))
    before = snapshot(redis_client)
    res = post(client, payload)
    assert res.status_code == status
    assert res.is_json
    error = res.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert snapshot(redis_client) == before


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "", "text/html"]
)
def test_other_content_types_are_refused(
    client: Any, site: str, redis_client: redis.Redis, content_type: str
) -> None:
    before = snapshot(redis_client)
    res = client.post(URL, data=json.dumps(body()), content_type=content_type)
    assert res.status_code == 415
    assert res.get_json()["error"]["code"] == "unsupported_media_type"
    assert snapshot(redis_client) == before


BAD_GETS = [
    ("no article", "", 400, "invalid_article"),
    ("empty article", "?article=", 400, "invalid_article"),
    ("control character", "?article=a%0Ab", 400, "invalid_article"),
    ("too long", "?article=" + "x" * 513, 400, "invalid_article"),
    ("bad reader", "?article=a&reader=short", 400, "invalid_reader"),
    ("two readers", f"?article=a&reader={READER}&reader={READER}", 400, "invalid_reader"),
    ("unknown parameter", "?article=a&limit=5", 400, "bad_request"),
    ("101 articles", "?" + "&".join(f"article=a{i}" for i in range(101)), 400, "bad_request"),
]


@pytest.mark.parametrize(
    ("query", "status", "code"), [c[1:] for c in BAD_GETS], ids=[c[0] for c in BAD_GETS]
)
def test_bad_gets_get_a_clear_error(
    client: Any, site: str, query: str, status: int, code: str
) -> None:
    res = client.get(URL + query)
    assert res.status_code == status
    assert res.get_json()["error"]["code"] == code


def test_unknown_site(client: Any, site: str) -> None:
    for res in (
        client.get("/v1/sites/nosuch/reactions?article=a"),
        client.post("/v1/sites/nosuch/reactions", json=body()),
        client.get("/v1/sites/NOT_AN_ID/reactions?article=a"),
    ):
        assert res.status_code == 404
        assert res.get_json()["error"]["code"] == "unknown_site"


def test_unknown_path_and_method(client: Any, site: str) -> None:
    res = client.get("/v1/nothing-here")
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "not_found"
    res = client.put(URL, json=body())
    assert res.status_code == 405 and res.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in res.headers["Allow"]


def test_storage_outage_is_a_json_503(app: Any, site: str) -> None:
    from widget import create_app

    broken = create_app({**app.config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    res = broken.test_client().get(f"{URL}?article=a1")
    broken.extensions["reactions.store"].client.close()
    assert res.status_code == 503
    assert res.get_json()["error"]["code"] == "storage_unavailable"
    assert int(res.headers["Retry-After"]) > 0


def test_unexpected_error_is_a_json_500_without_traceback(app: Any, site: str) -> None:
    def explode() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", view_func=explode)
    res = app.test_client().get("/explode")
    assert res.status_code == 500
    assert res.get_json()["error"]["code"] == "internal_error"
    assert b"secret internals" not in res.data and b"Traceback" not in res.data
