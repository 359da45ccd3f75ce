"""Rate limits and the ballot-stuffing cap, on a real Redis, as a client sees them.

Small limits are set through the app config; each test starts from an empty Redis, so
every window starts fresh. Addresses come from ``REMOTE_ADDR`` (no proxy is trusted).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from tests.helpers import app_config, start_gunicorn, wait_for, zeros
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer, free_port
from widget.store import Store, day_of

SITE = "demo"
URL = f"/v1/sites/{SITE}/reactions"
ADDR = "198.51.100.10"
OTHER_ADDR = "198.51.100.20"


def env(addr: str = ADDR) -> dict[str, str]:
    return {"REMOTE_ADDR": addr}


def data_snapshot(client: redis.Redis) -> dict[str, Any]:
    """Return every key but the rate-limit windows, with its serialized value."""
    return {
        key: client.dump(key) for key in sorted(client.keys("*")) if not key.startswith("rx:rl")
    }


def add_site(app: Any, site_id: str = SITE) -> str:
    with app.app_context():
        _, api_key = get_sites().create(site_id, site_id.title(), [])
    return str(api_key)


def post(
    client: Any, reader: str, reaction: str | None = "love", article: str = "a1", **kw: Any
) -> Any:
    body = {"article": article, "reader": reader, "reaction": reaction}
    kw.setdefault("environ_base", env())
    return client.post(URL, data=json.dumps(body), content_type="text/plain", **kw)


def get(client: Any, article: str = "a1", addr: str = ADDR) -> Any:
    return client.get(URL, query_string={"article": article}, environ_base=env(addr))


def reader(i: int) -> str:
    return f"reader-{i:012d}"


def assert_limited(res: Any, limit: int) -> None:
    """Assert the 429 answer a client gets when a limit is spent."""
    assert res.status_code == 429
    assert res.get_json()["error"]["code"] == "rate_limited"
    assert res.headers["Content-Type"] == "application/json"
    retry_after = int(res.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert int(res.headers["X-RateLimit-Limit"]) == limit
    assert int(res.headers["X-RateLimit-Remaining"]) == 0
    reset = int(res.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 61


# -- each limit ----------------------------------------------------------------------------


def test_reads_per_address_run_out_and_other_addresses_keep_theirs(make_app: Any) -> None:
    app = make_app(RATELIMIT_READ="3/minute")
    add_site(app)
    client = app.test_client()
    assert [get(client).status_code for _ in range(3)] == [200, 200, 200]
    assert_limited(get(client), 3)
    assert get(client, addr=OTHER_ADDR).status_code == 200


def test_head_requests_spend_the_read_budget_of_gets(make_app: Any) -> None:
    app = make_app(RATELIMIT_READ="3/minute")
    add_site(app)
    client = app.test_client()

    def head() -> Any:
        return client.head(URL, query_string={"article": "a1"}, environ_base=env())

    assert [get(client).status_code, head().status_code, get(client).status_code] == [200] * 3
    assert head().status_code == 429
    assert_limited(get(client), 3)


def test_preflights_have_a_read_budget_of_their_own(make_app: Any) -> None:
    app = make_app(RATELIMIT_READ="3/minute")
    add_site(app)
    client = app.test_client()

    def preflight() -> Any:
        headers = {"Origin": "https://x.example", "Access-Control-Request-Method": "POST"}
        return client.options(URL, environ_base=env(), headers=headers)

    assert [preflight().status_code for _ in range(3)] == [204, 204, 204]
    assert_limited(preflight(), 3)
    # Browsers cache a preflight for up to two hours, so a separate budget costs nothing.
    assert get(client).status_code == 200


def test_writes_per_address_run_out_and_a_refused_post_changes_nothing(
    make_app: Any, redis_client: redis.Redis
) -> None:
    app = make_app(RATELIMIT_WRITE="3/minute")
    add_site(app)
    client = app.test_client()
    # Three articles, so the per-article limit (20/minute) is not the one that is hit.
    for i in range(3):
        assert post(client, reader(i), article=f"a{i}").status_code == 200
    before = data_snapshot(redis_client)
    res = post(client, reader(9), article="a9")
    assert_limited(res, 3)
    assert data_snapshot(redis_client) == before
    assert get(client, "a9").get_json()["articles"]["a9"]["counts"] == zeros()
    # Reads have their own budget.
    assert get(client, "a0").get_json()["articles"]["a0"]["counts"] == zeros(love=1)
    assert post(client, reader(9), article="a9", environ_base=env(OTHER_ADDR)).status_code == 200


def test_writes_per_address_and_article_run_out_for_that_article_only(
    make_app: Any, redis_client: redis.Redis
) -> None:
    app = make_app(RATELIMIT_WRITE_ARTICLE="2/minute")
    add_site(app)
    client = app.test_client()
    assert post(client, reader(1), "love").status_code == 200
    assert post(client, reader(1), "like").status_code == 200
    before = data_snapshot(redis_client)
    assert_limited(post(client, reader(1), "hated"), 2)
    assert data_snapshot(redis_client) == before
    assert post(client, reader(1), "love", article="a2").status_code == 200
    counts = get(client).get_json()["articles"]["a1"]["counts"]
    assert counts == zeros(like=1)


def test_limits_reset_when_the_window_ends(make_app: Any, redis_client: redis.Redis) -> None:
    """A window opens at an address's first request and ends a second later, when its
    Redis key expires. Nothing here guesses at times: three requests are checked only if
    they all fell within one second (on a busy machine they may not, and a fresh address
    tries again), and the fourth is sent once Redis has expired the window."""
    app = make_app(RATELIMIT_READ="2/second")
    add_site(app)
    client = app.test_client()
    for attempt in range(5):
        addr = f"198.51.100.{100 + attempt}"
        start = time.monotonic()
        statuses = [get(client, addr=addr).status_code for _ in range(3)]
        if time.monotonic() - start < 1.0:
            break
    else:
        pytest.fail("three requests never fitted in one second: the machine is too busy")
    assert statuses == [200, 200, 429]
    # The windows (the address is hashed in their keys): this attempt's, maybe earlier ones.
    windows = redis_client.keys("rx:rl*")
    ttls = [redis_client.pttl(key) for key in windows]
    assert windows and all(0 < ttl <= 1000 or ttl == -2 for ttl in ttls), ttls  # -2: gone
    wait_for(lambda: not redis_client.exists(*windows), 10, "the windows' keys to expire")
    assert get(client, addr=addr).status_code == 200


def test_publisher_api_is_limited_per_key(make_app: Any) -> None:
    app = make_app(RATELIMIT_PUBLISHER="3/minute")
    key_a, key_b = add_site(app, "site-a"), add_site(app, "site-b")
    client = app.test_client()

    def call(site: str, key: str, what: str = "summary") -> Any:
        return client.get(
            f"/v1/sites/{site}/{what}",
            headers={"Authorization": f"Bearer {key}"},
            environ_base=env(),
        )

    # One budget for every endpoint of the key.
    statuses = [
        call("site-a", key_a, what).status_code for what in ("summary", "articles", "summary")
    ]
    assert statuses == [200, 200, 200]
    assert_limited(call("site-a", key_a, "articles"), 3)
    # The other site's key, from the same address, has its own budget.
    assert [call("site-b", key_b).status_code for _ in range(3)] == [200, 200, 200]
    assert_limited(call("site-b", key_b), 3)
    # Another key of the same site, too (each named key has its own budget).
    with app.app_context():
        _, key_c = get_sites().add_key("site-a", "second", "viewer")
    assert [call("site-a", key_c).status_code for _ in range(3)] == [200, 200, 200]
    assert_limited(call("site-a", key_c), 3)


def test_guessing_keys_is_limited_per_address(make_app: Any) -> None:
    app = make_app(RATELIMIT_PUBLISHER="3/minute")
    add_site(app)
    client = app.test_client()
    wrong = {"Authorization": "Bearer not-the-key"}
    statuses = [
        client.get(f"/v1/sites/{SITE}/summary", headers=wrong, environ_base=env()).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_operations_endpoints_are_never_limited(make_app: Any) -> None:
    app = make_app(
        RATELIMIT_READ="1/minute",
        RATELIMIT_WRITE="1/minute",
        RATELIMIT_WRITE_ARTICLE="1/minute",
        RATELIMIT_PUBLISHER="1/minute",
    )
    add_site(app)
    client = app.test_client()
    for path in ("/healthz", "/readyz", "/metrics", "/v1/openapi.json", "/static/embed.js"):
        for _ in range(5):
            with client.get(path, environ_base=env()) as res:  # a file answer needs closing
                assert res.status_code == 200, path
    assert [get(client).status_code for _ in range(2)] == [200, 429]


def test_ratelimit_enabled_0_turns_every_limit_off(
    make_app: Any, redis_client: redis.Redis
) -> None:
    app = make_app(
        RATELIMIT_ENABLED=False,
        RATELIMIT_READ="1/minute",
        RATELIMIT_WRITE="1/minute",
        RATELIMIT_WRITE_ARTICLE="1/minute",
        RATELIMIT_PUBLISHER="1/minute",
        READERS_PER_ADDRESS_PER_ARTICLE=1,
    )
    key = add_site(app)
    client = app.test_client()
    assert {post(client, reader(i)).status_code for i in range(5)} == {200}
    assert {get(client).status_code for _ in range(5)} == {200}
    auth = {"Authorization": f"Bearer {key}"}
    summaries = {
        client.get(f"/v1/sites/{SITE}/summary", headers=auth).status_code for _ in range(5)
    }
    assert summaries == {200}
    assert get(client).get_json()["articles"]["a1"]["counts"] == zeros(love=5)
    assert not redis_client.keys("rx:rl*")


def test_redis_unreachable_answers_503_not_an_unlimited_pass(redis_server: RedisServer) -> None:
    app = create_app(
        app_config(
            redis_server,
            RATELIMIT_ENABLED=True,
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
            REDIS_SOCKET_TIMEOUT=0.2,
        )
    )
    client = app.test_client()
    for res in (get(client), post(client, reader(1))):
        assert res.status_code == 503
        assert res.get_json()["error"]["code"] == "storage_unavailable"
        assert int(res.headers["Retry-After"]) >= 1
    assert client.get("/healthz").status_code == 200


# -- shared by every gunicorn worker --------------------------------------------------------


@pytest.mark.slow
def test_limits_are_shared_by_every_worker(
    redis_server: RedisServer,
    redis_client: redis.Redis,
    make_site: Callable[..., str],
    tmp_path: Path,
) -> None:
    make_site(SITE)
    limit, extra = 12, 8
    server = start_gunicorn(
        redis_server.url,
        tmp_path,
        workers=3,
        RATELIMIT_ENABLED="1",
        RATELIMIT_READ=f"{limit}/minute",
    )
    try:

        def fetch(i: int) -> int:
            # A new connection each time, so the workers share the requests between them.
            res = requests.get(
                f"{server.url}{URL}",
                params={"article": f"a{i}"},
                headers={"Connection": "close"},
                timeout=10,
            )
            return res.status_code

        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(fetch, range(limit + extra)))
    finally:
        server.stop()
    assert statuses.count(200) == limit
    assert statuses.count(429) == extra
    # The window lives in Redis, where every worker (and every machine) sees it.
    windows = redis_client.keys("rx:rl*")
    assert len(windows) == 1 and int(redis_client.get(windows[0]) or 0) == limit + extra


# -- the ballot-stuffing cap ----------------------------------------------------------------

# Rate limits out of the way, so the cap is what stops a client.
ROOMY = {
    "RATELIMIT_READ": "10000/minute",
    "RATELIMIT_WRITE": "10000/minute",
    "RATELIMIT_WRITE_ARTICLE": "10000/minute",
}


def today() -> str:
    return day_of(time.time())


def refused(app: Any) -> int:
    store: Store = app.extensions["reactions.store"]
    return store.indexes.refused_days(SITE, [today()])[today()]


def test_the_default_cap_stops_one_address_minting_readers_at_50(make_app: Any) -> None:
    app = make_app(**ROOMY)
    add_site(app)
    client = app.test_client()
    statuses = [post(client, reader(i)).status_code for i in range(53)]
    assert statuses == [200] * 50 + [429] * 3
    assert get(client).get_json()["articles"]["a1"]["total"] == 50
    assert refused(app) == 3


def test_a_configured_cap_bounds_one_address_on_one_article_only(
    make_app: Any, redis_client: redis.Redis
) -> None:
    app = make_app(READERS_PER_ADDRESS_PER_ARTICLE=3, **ROOMY)
    add_site(app)
    client = app.test_client()
    assert [post(client, reader(i)).status_code for i in range(3)] == [200] * 3

    before = data_snapshot(redis_client)
    res = post(client, reader(3), "hated")
    assert res.status_code == 429
    assert res.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(res.headers["Retry-After"]) <= 86400
    after = data_snapshot(redis_client)
    refused_key = f"rx:s:{{{SITE}}}:refused"
    assert {k: v for k, v in after.items() if k != refused_key} == before
    assert refused(app) == 1

    # Existing readers switch and withdraw at the cap; a withdrawal does not free a slot.
    assert post(client, reader(0), "like").get_json()["counts"] == zeros(love=2, like=1)
    assert post(client, reader(1), None).get_json()["counts"] == zeros(love=1, like=1)
    assert post(client, reader(1), "want").status_code == 429
    assert refused(app) == 2
    # Other articles and other addresses are not affected.
    assert post(client, reader(3), article="a2").status_code == 200
    assert post(client, reader(3), environ_base=env(OTHER_ADDR)).status_code == 200
    assert get(client).get_json()["articles"]["a1"]["counts"] == zeros(love=2, like=1)
    assert get(client, "a2").get_json()["articles"]["a2"]["counts"] == zeros(love=1)
    assert refused(app) == 2


def test_dashboard_sign_in_attempts_are_limited_per_address(
    make_app: Callable[..., Any],
) -> None:
    app = make_app(RATELIMIT_SIGNIN="3/minute")
    key = add_site(app)
    client = app.test_client()

    def attempt(api_key: str, addr: str = ADDR) -> Any:
        page = client.get("/dashboard/", environ_base=env(addr)).get_data(as_text=True)
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        form = {"csrf": csrf, "site": SITE, "key": api_key}
        return client.post("/dashboard/sign-in", data=form, environ_base=env(addr))

    assert [attempt("rk_wrong").status_code for _ in range(3)] == [401, 401, 401]
    refused = attempt(key)  # even the right key, once the address is over its budget
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert attempt(key, addr="198.51.100.9").status_code == 302  # another address signs in
    # Browsing the dashboard is not counted against sign-in.
    assert client.get("/dashboard/", environ_base=env("198.51.100.9")).status_code == 200


# -- the reader API's limits, counted inside the requests' own calls (reader/limits.py) --------


def test_flask_limiter_hooks_stay_off_the_reader_api_only(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask_limiter import Limiter

    # Each of flask-limiter's request hooks starts by naming the request (its endpoint).
    named: list[str] = []
    identify = Limiter.identify_request

    def counted(self: Limiter) -> str:
        named.append(identify(self))
        return named[-1]

    monkeypatch.setattr(Limiter, "identify_request", counted)
    app = make_app(RATELIMIT_PUBLISHER="1/minute", RATELIMIT_READ="2/minute")
    key = add_site(app)
    client = app.test_client()
    # The reader API is limited by its own counting, which flask-limiter's hooks never see.
    assert [get(client).status_code for _ in range(2)] == [200, 200]
    assert_limited(get(client), 2)
    assert post(client, reader(1)).status_code == 200
    assert client.options(URL, environ_base=env()).status_code == 204
    assert named == []
    # Elsewhere flask-limiter checks as it always did: the publisher API is still limited.
    auth = {"Authorization": f"Bearer {key}"}
    summary = f"/v1/sites/{SITE}/summary"
    assert client.get(summary, headers=auth, environ_base=env()).status_code == 200
    assert "publisher_api.site_summary" in named
    assert_limited(client.get(summary, headers=auth, environ_base=env()), 1)


def test_a_request_refused_before_redis_spends_its_window_and_gets_the_429(
    make_app: Any,
) -> None:
    app = make_app(RATELIMIT_WRITE="2/minute", RATELIMIT_READ="2/minute")
    add_site(app)
    client = app.test_client()
    bad = client.post(URL, data="{not json", content_type="text/plain", environ_base=env())
    assert bad.status_code == 400
    assert post(client, reader(1)).status_code == 200
    # Over the limit, an invalid body gets the 429 (as before the view, with flask-limiter).
    over = client.post(URL, data="{not json", content_type="text/plain", environ_base=env())
    assert_limited(over, 2)
    assert client.get(URL, query_string={"nope": "1"}, environ_base=env()).status_code == 400
    assert get(client).status_code == 200
    assert_limited(get(client), 2)
    # An unknown site too, with the CORS header that lets the widget read the answer.
    unknown = client.get(
        "/v1/sites/nowhere/reactions",
        query_string={"article": "a1"},
        environ_base=env(),
        headers={"Origin": "https://x.example"},
    )
    assert_limited(unknown, 2)
    assert unknown.headers["Access-Control-Allow-Origin"] == "https://x.example"


def test_the_windows_are_the_ones_flask_limiter_names(
    make_app: Any, redis_client: redis.Redis
) -> None:
    from flask import g
    from limits import parse

    from widget.limits import address_article_key_of, address_key

    app = make_app(RATELIMIT_READ="3/minute", RATELIMIT_WRITE="4/minute;9/hour")
    add_site(app)
    client = app.test_client()
    assert get(client).status_code == 200
    assert post(client, reader(1)).status_code == 200
    with app.test_request_context(environ_base=env()):
        g.site = get_sites().get(SITE)  # the site the request found names the window
        names = {
            parse("3/minute").key_for(address_key(), "reader_api.get_counts"),
            parse("4/minute").key_for(address_key(), "reader_api.set_reaction"),
            parse("9/hour").key_for(address_key(), "reader_api.set_reaction"),
            parse("20/minute").key_for(
                address_article_key_of(SITE, "a1"), "reader_api.set_reaction"
            ),
        }
    assert set(redis_client.keys("rx:rl*")) == {f"rx:rl:{name}" for name in names}
    assert {redis_client.get(f"rx:rl:{name}") for name in names} == {"1"}


def test_the_counts_read_loads_its_window_script_again_after_script_flush(
    make_app: Any, redis_client: redis.Redis
) -> None:
    app = make_app(RATELIMIT_READ="2/minute")
    add_site(app)
    client = app.test_client()
    assert get(client).status_code == 200
    redis_client.script_flush()
    assert get(client).status_code == 200
    assert_limited(get(client), 2)


def test_a_lone_surrogate_in_an_id_or_a_signature_is_a_400_with_limits_on(
    make_app: Any, redis_client: redis.Redis
) -> None:
    """The per-article window is counted before the id is checked: it must not fail on it."""
    app = make_app()
    add_site(app)
    with app.app_context():
        get_sites().change("demo", lambda site: replace(site, signed_articles=True))
    client = app.test_client()
    before = sorted(k for k in redis_client.keys("*") if not k.startswith("rx:rl:"))
    surrogate = "\\ud800"  # as JSON spells it: a lone surrogate, no character
    for fields in (
        f'"article": "{surrogate}"',
        f'"article": "a1", "signature": "{surrogate}"',
    ):
        body = f'{{{fields}, "reader": "{reader(1)}", "reaction": "love"}}'
        res = client.post(URL, data=body, content_type="text/plain", environ_base=env())
        assert res.status_code == 400, res.get_data(as_text=True)
        assert res.get_json()["error"]["code"] in {"invalid_article", "bad_request"}
    assert sorted(k for k in redis_client.keys("*") if not k.startswith("rx:rl:")) == before
