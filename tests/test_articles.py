"""Articles belong to the publisher: no write without a change, the publisher's title and
url, signed articles, a bounded number of articles, and a site's deletion taking every key.

Every test runs on a single Redis and again on a three-master cluster (conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.cluster import RedisCluster

from tests.helpers import KEYS
from widget.context import get_sites
from widget.sites.signing import sign, sign_page, signing_secret

# Every test here runs on one Redis and again on a real Redis Cluster (conftest.py).
pytestmark = pytest.mark.on_cluster_too

BASE = "/v1/sites/demo"
READER = "reader-0123456789abcdef"
OTHER = "reader-fedcba9876543210"
# The Redis commands that write (what a POST may send).
WRITES = frozenset(
    {"set", "setex", "hset", "hsetnx", "hincrby", "hdel", "del", "expire", "zadd",
     "zincrby", "zrem", "sadd", "srem", "incr", "incrby", "unlink", "pexpire"}
)  # fmt: skip


def nodes_info(redis_client: Any, section: str) -> list[dict[str, Any]]:
    """Return INFO of every node: one for a single Redis, one per node for a cluster."""
    if isinstance(redis_client, RedisCluster):
        return list(redis_client.info(section, target_nodes=RedisCluster.PRIMARIES).values())
    return [redis_client.info(section)]


def writes_and_keys(redis_client: Any) -> tuple[int, list[str], int]:
    """Return the write commands Redis ran so far, every key, and the scripts run."""
    writes = scripts = 0
    for node in nodes_info(redis_client, "commandstats"):
        for name, stats in node.items():
            command = name.removeprefix("cmdstat_").split("|")[0]
            if command in WRITES:
                writes += int(stats["calls"])
            if command in {"evalsha", "eval"}:
                # A NOSCRIPT answer (the script is then sent with EVAL) is not a run.
                scripts += int(stats["calls"]) - int(stats.get("rejected_calls", 0))
                scripts -= int(stats.get("failed_calls", 0))
    return writes, sorted(redis_client.scan_iter("rx:*")), scripts


@pytest.fixture
def api_key(make_site: Callable[..., str]) -> str:
    """Return the API key of the site ``demo``, made for the test (any origin)."""
    return make_site("demo")


def post(client: Any, article: str = "a1", reaction: str | None = "love", **extra: Any) -> Any:
    """POST one reaction to the demo site."""
    body = {"article": article, "reader": extra.pop("reader", READER), "reaction": reaction}
    return client.post(f"{BASE}/reactions", json={**body, **extra}, **extra.pop("kw", {}))


def publisher(client: Any, key: str, method: str, article: str, body: Any = None) -> Any:
    """Call the publisher's article endpoint."""
    return client.open(
        f"{BASE}/article?article={article}",
        method=method,
        json=body,
        headers={"Authorization": f"Bearer {key}"},
    )


# -- no write without a change ---------------------------------------------------------


def test_a_post_that_changes_nothing_writes_nothing(
    client: Any, api_key: str, redis_client: Any
) -> None:
    before = writes_and_keys(redis_client)
    # A withdraw by a reader who holds nothing, on an article nobody reacted to.
    answer = post(client, "never", None, title="T", url="https://example.com/never")
    assert answer.status_code == 200 and answer.get_json()["total"] == 0
    after = writes_and_keys(redis_client)
    assert after[:2] == before[:2]
    assert after[2] == before[2] + 1  # one script run, which wrote nothing
    assert publisher(client, api_key, "GET", "never").status_code == 404

    assert post(client, "a1", "love").status_code == 200
    for reaction in ("love", "love"):  # the same reaction again, twice
        before = writes_and_keys(redis_client)
        assert post(client, "a1", reaction, title="Other").get_json()["total"] == 1
        assert writes_and_keys(redis_client)[:2] == before[:2]
    post(client, "a1", None)  # withdrawn: a change
    before = writes_and_keys(redis_client)
    post(client, "a1", None)
    assert writes_and_keys(redis_client)[:2] == before[:2]


def test_a_reaction_is_one_script_on_one_redis_three_or_four_on_a_cluster(
    client: Any, api_key: str, redis_client: Any
) -> None:
    cluster = isinstance(redis_client, RedisCluster)
    before = writes_and_keys(redis_client)[2]
    # One Redis: everything in one script. A cluster: the article's checks, admission, the
    # article's write, site indexes (rate limits are off here: no script for the address's
    # windows).
    post(client, "a1", "love")
    middle = writes_and_keys(redis_client)[2]
    assert middle - before == (4 if cluster else 1)
    # A cluster: the article's checks, then its write beside the site's indexes.
    post(client, "a1", "like", reader=OTHER)
    assert writes_and_keys(redis_client)[2] - middle == (3 if cluster else 1)


# -- title and url -----------------------------------------------------------------------


def test_only_the_first_counted_reaction_names_the_article(client: Any, api_key: str) -> None:
    url = "https://news.example/story?utm_source=mail&token=secret#comments"
    post(client, "a1", "love", title="The story", url=url)
    post(client, "a1", "like", reader=OTHER, title="PHISHING", url="https://evil.example/x")
    post(client, "a1", None, title="Again", url="https://evil.example/y")
    got = publisher(client, api_key, "GET", "a1").get_json()
    # Any http(s) origin on a site without origins, without its query and fragment.
    assert (got["title"], got["url"]) == ("The story", "https://news.example/story")
    assert got["counts"]["like"] == 1 and got["closed"] is False


def test_a_readers_url_is_kept_only_on_an_allowed_origin(
    client: Any, make_site: Callable[..., str]
) -> None:
    make_site("shop", origins=("https://shop.example",))
    headers = {"Origin": "https://shop.example"}
    for article, url in (("a", "https://evil.example/a"), ("b", "https://shop.example/b?x=1")):
        body = {"article": article, "reader": READER, "reaction": "love", "url": url}
        assert (
            client.post("/v1/sites/shop/reactions", json=body, headers=headers).status_code == 200
        )
    with client.application.app_context():
        from widget.context import get_store

        store = get_store()
        assert store.articles.record("shop", "a", KEYS).url is None
        assert store.articles.record("shop", "b", KEYS).url == "https://shop.example/b"


def test_the_publisher_edits_title_url_and_closed(client: Any, api_key: str) -> None:
    post(client, "a1", "love", title="Old")
    post(client, "b", "love", title="Banana")
    changed = publisher(
        client, api_key, "PATCH", "a1",
        {"title": "Aardvark", "url": "https://elsewhere.example/a1?ref=1", "closed": True},
    )  # fmt: skip
    assert changed.status_code == 200, changed.get_data(as_text=True)
    got = changed.get_json()
    assert (got["title"], got["url"], got["closed"]) == (
        "Aardvark",
        "https://elsewhere.example/a1?ref=1",  # the publisher's url is kept as given
        True,
    )
    assert got["counts"]["love"] == 1
    assert publisher(client, api_key, "GET", "a1").get_json() == got
    listed = client.get(
        f"{BASE}/articles?sort=title", headers={"Authorization": f"Bearer {api_key}"}
    ).get_json()
    assert [a["article"] for a in listed["articles"]] == ["a1", "b"]  # the index followed
    cleared = publisher(client, api_key, "PATCH", "a1", {"url": None, "closed": False}).get_json()
    assert cleared["url"] is None and cleared["closed"] is False and cleared["title"] == "Aardvark"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x" * 301},
        {"url": "javascript:alert(1)"},
        {"url": "https://e.example/" + "x" * 2048},
        {"closed": "yes"},
        {"owner": "me"},
        ["title"],
    ],
)
def test_bad_edits_are_400_and_change_nothing(client: Any, api_key: str, body: Any) -> None:
    post(client, "a1", "love", title="Kept")
    answer = publisher(client, api_key, "PATCH", "a1", body)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_request"
    assert publisher(client, api_key, "GET", "a1").get_json()["title"] == "Kept"


def test_an_article_without_counts_is_404_and_is_not_created(
    client: Any, api_key: str, redis_client: Any
) -> None:
    publisher(client, api_key, "GET", "nobody", None)  # the key's use is noted (once a minute)
    before = writes_and_keys(redis_client)[1]
    for method, body in (("GET", None), ("PATCH", {"title": "Made up"})):
        answer = publisher(client, api_key, method, "nobody", body)
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    assert writes_and_keys(redis_client)[1] == before
    other = client.patch(
        f"{BASE}/article?article=a1", data="{}", headers={"Authorization": f"Bearer {api_key}"}
    )
    assert other.status_code == 415
    assert client.get(f"{BASE}/article?article=a1").status_code == 401


# -- signed articles ---------------------------------------------------------------------


def sign_site(app: Any, runner: Any) -> str:
    """Turn signed articles on for the demo site and return its new signing secret."""
    result = runner.invoke(args=["sites", "signing-secret", "demo", "--rotate"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    with app.app_context():
        sites = get_sites()
        site = sites.get("demo")
        assert site is not None
        sites.store.sites.save("demo", {**site.as_json(), "signed_articles": True})
    return secret


def test_signed_articles_need_the_publishers_signature_to_start(
    app: Any, client: Any, runner: Any, api_key: str, redis_client: Any
) -> None:
    post(client, "old", "love")  # counted before signing was on: needs no signature
    secret = sign_site(app, runner)
    with app.app_context():
        site = get_sites().get("demo")
        assert site is not None and secret == signing_secret(app.config["SECRET_KEY"], site)
    before = writes_and_keys(redis_client)[1]
    for extra, code in (({}, "signature_required"), ({"signature": "0" * 64}, "invalid_signature"),
                        ({"signature": sign(secret, "other")}, "invalid_signature")):  # fmt: skip
        answer = post(client, "new", "love", **extra)
        assert answer.status_code == 403 and answer.get_json()["error"]["code"] == code
    # Nothing changed but the refusals' count, which the publisher sees.
    assert writes_and_keys(redis_client)[1] == sorted([*before, "rx:s:{demo}:refused"])
    refused = summary(client, api_key).get_json()["refused_articles"]
    assert refused["signature_required"] == 1 and refused["invalid_signature"] == 2
    signature = sign(secret, "new")
    assert (
        signature == __import__("hmac").new(secret.encode(), b"new", "sha256").hexdigest()
    )  # the documented recipe
    assert post(client, "new", "love", signature=signature).status_code == 200
    assert post(client, "new", "like", reader=OTHER).status_code == 200  # counted: no signature
    assert post(client, "old", "like", reader=OTHER).status_code == 200
    # A new secret: the old one's signatures stop working for new articles.
    new_secret = sign_site(app, runner)
    assert new_secret != secret
    answer = post(client, "newer", "love", signature=sign(secret, "newer"))
    assert answer.get_json()["error"]["code"] == "invalid_signature"
    assert post(client, "newer", "love", signature=sign(new_secret, "newer")).status_code == 200


def test_a_signed_site_keeps_a_title_and_url_only_when_the_signature_covers_them(
    app: Any, client: Any, runner: Any, api_key: str, redis_client: Any
) -> None:
    secret = sign_site(app, runner)
    page = {"title": "The real title", "url": "https://example.com/real"}
    # Signed for the id only: counted, but the title and URL the sender chose are not kept.
    assert post(client, "by-id", "love", signature=sign(secret, "by-id"), **page).status_code == 200
    got = publisher(client, api_key, "GET", "by-id").get_json()
    assert got["total"] == 1 and got["title"] is None and got["url"] is None
    # Signed with the title and URL: kept. The documented recipe: HMAC of id, title, url.
    signature = sign_page(secret, "by-page", page["title"], page["url"])
    message = b"by-page\nThe real title\nhttps://example.com/real"
    assert signature == __import__("hmac").new(secret.encode(), message, "sha256").hexdigest()
    assert post(client, "by-page", "love", signature=signature, **page).status_code == 200
    got = publisher(client, api_key, "GET", "by-page").get_json()
    assert (got["title"], got["url"]) == (page["title"], page["url"])
    # Another title or URL than the one signed: refused, nothing stored.
    before = writes_and_keys(redis_client)[1]
    signature = sign_page(secret, "forged", page["title"], page["url"])
    for changed in ({"title": "Click here"}, {"url": "https://example.com/phish"}, {"title": None}):
        answer = post(client, "forged", "love", signature=signature, **{**page, **changed})
        assert answer.status_code == 403
        assert answer.get_json()["error"]["code"] == "invalid_signature"
    assert writes_and_keys(redis_client)[1] == sorted([*before, "rx:s:{demo}:refused"])
    assert summary(client, api_key).get_json()["refused_articles"]["invalid_signature"] == 3
    assert publisher(client, api_key, "GET", "forged").status_code == 404


def test_the_signing_secret_is_shown_once_and_never_stored(
    app: Any, runner: Any, api_key: str, redis_client: Any
) -> None:
    shown = runner.invoke(args=["sites", "signing-secret", "demo"])
    assert shown.exit_code == 0 and "has no signing secret" in shown.output
    secret = sign_site(app, runner)
    shown = runner.invoke(args=["sites", "signing-secret", "demo"])
    assert "has a signing secret" in shown.output and secret not in shown.output
    assert "signed articles: on" in shown.output
    for key in redis_client.scan_iter("*"):
        dumped = redis_client.dump(key) or b""
        assert secret.encode() not in dumped
    missing = runner.invoke(args=["sites", "signing-secret", "nope", "--rotate"])
    assert missing.exit_code == 1 and "no site" in missing.output


# -- bounded growth ----------------------------------------------------------------------


def limited_app(redis_server: Any, **config: Any) -> Any:
    """Return an app on the emptied one Redis, rate limits on (as in production), a few
    settings changed. (On the cluster run too: the limits' own budgets are what is tested.)"""
    import redis

    from tests.conftest import app_config
    from widget import create_app

    redis.Redis.from_url(redis_server.url).flushall()
    return create_app(app_config(redis_server, RATELIMIT_ENABLED=True, **config))


def summary(client: Any, key: str) -> Any:
    """Return the publisher's summary of the demo site."""
    return client.get(f"{BASE}/summary?days=1", headers={"Authorization": f"Bearer {key}"})


def test_a_site_holds_at_most_max_articles(app: Any, api_key: str, redis_client: Any) -> None:
    app.config["MAX_ARTICLES_PER_SITE"] = 3
    client = app.test_client()
    for article in ("a", "b", "c"):
        assert post(client, article, "love").status_code == 200
    before = writes_and_keys(redis_client)[1]
    refused = post(client, "d", "love")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "article_limit"
    after = writes_and_keys(redis_client)[1]
    assert after == sorted([*before, "rx:s:{demo}:refused"])  # the refusal is counted
    assert post(client, "a", "like", reader=OTHER).status_code == 200  # existing: fine
    got = summary(client, api_key).get_json()
    assert got["articles"] == 3
    assert got["refused_articles"] == {"article_limit": 1, "new_article_budget": 0,
                                       "signature_required": 0, "invalid_signature": 0}  # fmt: skip


def test_an_address_starts_a_bounded_number_of_articles_a_day(
    redis_server: Any, redis_client: Any
) -> None:
    app = limited_app(redis_server, NEW_ARTICLES_PER_ADDRESS_PER_DAY=2, TRUSTED_PROXIES=1)
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    client = app.test_client()
    mallory = {"environ_base": {"REMOTE_ADDR": "10.0.0.1"},
               "headers": {"X-Forwarded-For": "198.51.100.7"}}  # fmt: skip

    def from_(who: dict[str, Any], article: str, reader: str = READER) -> Any:
        body = {"article": article, "reader": reader, "reaction": "love"}
        return client.post(f"{BASE}/reactions", json=body, **who)

    assert from_(mallory, "a").status_code == 200
    assert from_(mallory, "b").status_code == 200
    refused = from_(mallory, "c")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "new_article_budget"
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert from_(mallory, "a", OTHER).status_code == 200  # an existing article: fine
    someone = {"environ_base": {"REMOTE_ADDR": "10.0.0.1"},
               "headers": {"X-Forwarded-For": "203.0.113.9"}}  # fmt: skip
    assert from_(someone, "c").status_code == 200
    got = summary(client, key).get_json()
    assert got["refused_articles"] == {"article_limit": 0, "new_article_budget": 1,
                                       "signature_required": 0, "invalid_signature": 0}  # fmt: skip
    app.extensions["reactions.store"].client.close()


# -- deleting a site ---------------------------------------------------------------------


def test_deleting_a_site_removes_every_key_and_the_id_starts_empty(
    app: Any, runner: Any, redis_client: Any, make_site: Callable[..., str]
) -> None:
    make_site("keep")
    app.config["RATELIMIT_ENABLED"] = True  # the cap's and the budget's keys too
    client = app.test_client()
    key = make_site("demo")
    for n in range(30):
        post(client, f"article-{n}", "love", reader=f"reader-{n:016d}", title=f"T{n}")
    post(client, "article-1", "like", reader=OTHER)
    publisher(client, key, "PATCH", "article-2", {"title": "Renamed", "closed": True})
    client.post("/v1/sites/keep/reactions", json={"article": "k", "reader": READER,
                                                  "reaction": "love"})  # fmt: skip
    kept = [k for k in redis_client.scan_iter("rx:*") if "{keep" in k]
    assert any("{demo" in k for k in redis_client.scan_iter("rx:*"))
    result = runner.invoke(args=["sites", "delete", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    left = [k for k in redis_client.scan_iter("rx:*") if "demo" in k]
    assert left == []
    assert sorted(k for k in redis_client.scan_iter("rx:*") if "{keep" in k) == sorted(kept)
    make_site("demo")
    got = client.get(f"{BASE}/reactions?article=article-1").get_json()
    assert got["articles"]["article-1"]["total"] == 0
