"""Dashboard sessions against theft and forced sign-out: they are Secure, bounded in time,
end on the server at sign-out, and cannot be ended by a link from another site."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests

from tests.conftest import app_config
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer

OVERVIEW = "Overview"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: Any, key: str) -> Any:
    token = csrf_of(client.get("/dashboard/").get_data(as_text=True))
    return client.post("/dashboard/sign-in", data={"csrf": token, "site": "demo", "key": key})


def signed_in(client: Any) -> bool:
    return OVERVIEW in client.get("/dashboard/").get_data(as_text=True)


def copy_of(client: Any, app: Any) -> Any:
    """Return another browser holding a copy of the client's session cookie."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def session_keys(redis_client: redis.Redis) -> list[str]:
    return [str(k) for k in redis_client.keys("rx:ds:*")]


def test_the_cookie_is_secure_strict_and_expires(
    client: Any, make_site: Callable[..., str]
) -> None:
    res = sign_in(client, make_site("demo"))
    cookie = res.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Expires=" in cookie


def test_sign_out_ends_the_session_for_a_copy_of_the_cookie(
    app: Any, client: Any, make_site: Callable[..., str], redis_client: redis.Redis
) -> None:
    sign_in(client, make_site("demo"))
    thief = copy_of(client, app)
    assert signed_in(client) and signed_in(thief)
    assert len(session_keys(redis_client)) == 1
    token = csrf_of(client.get("/dashboard/").get_data(as_text=True))
    assert client.post("/dashboard/sign-out", data={"csrf": token}).status_code == 302
    assert not signed_in(client)
    assert not signed_in(thief)  # the copy stopped working: the server forgot the session
    assert session_keys(redis_client) == []


def test_another_sign_in_is_not_ended_by_a_sign_out(
    app: Any, client: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    other = app.test_client()
    sign_in(client, key)
    sign_in(other, key)
    token = csrf_of(client.get("/dashboard/").get_data(as_text=True))
    client.post("/dashboard/sign-out", data={"csrf": token})
    assert not signed_in(client) and signed_in(other)


def test_the_session_lives_twelve_hours_by_default(
    client: Any, make_site: Callable[..., str], redis_client: redis.Redis
) -> None:
    sign_in(client, make_site("demo"))
    (key,) = session_keys(redis_client)
    assert 12 * 3600 - 60 < redis_client.ttl(key) <= 12 * 3600


@pytest.fixture
def short_lived(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[Any]:
    """Return an app whose dashboard sessions last one second, with a site "demo"."""
    app = create_app(app_config(redis_server, PERMANENT_SESSION_LIFETIME=1))
    with app.app_context():
        _, app.config["TEST_KEY"] = get_sites().create("demo", "Demo", [])
    yield app
    app.extensions["reactions.store"].client.close()


def test_a_session_ends_after_its_lifetime_however_busy(short_lived: Any) -> None:
    client = short_lived.test_client()
    sign_in(client, short_lived.config["TEST_KEY"])
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # busy all along: a sliding expiry would never end
        if not signed_in(client):
            break
        time.sleep(0.1)
    assert not signed_in(client)


def test_a_link_from_another_site_cannot_sign_out(
    app: Any, client: Any, make_site: Callable[..., str], redis_client: redis.Redis
) -> None:
    sign_in(client, make_site("demo"))
    # A link or an image: a GET.
    assert client.get("/dashboard/sign-out").status_code == 405
    # A form on another site: a POST without the session's CSRF token (and SameSite=Strict
    # keeps the browser from sending the cookie with it at all).
    assert client.post("/dashboard/sign-out").status_code == 302
    assert client.post("/dashboard/sign-out", data={"csrf": "guessed"}).status_code == 302
    assert signed_in(client)
    assert len(session_keys(redis_client)) == 1


def commands(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return sum(int(v["calls"]) for name, v in stats.items() if name != "cmdstat_info")


def test_the_session_check_costs_one_read(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    app = create_app(app_config(redis_server, SITE_CACHE_SECONDS=60))
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    client = app.test_client()
    sign_in(client, key)
    client.get("/dashboard/export.nothing")  # warms the site cache
    before = commands(redis_client)
    # A signed-in page that reads nothing else: only the session's check touches Redis.
    assert client.get("/dashboard/export.nothing").status_code == 404
    assert commands(redis_client) - before == 1
    app.extensions["reactions.store"].client.close()


def test_under_gunicorn_the_cookie_is_secure_and_a_copy_dies_at_sign_out(
    live_server: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    base = f"{live_server.url}/dashboard"
    form = requests.get(f"{base}/", timeout=5)
    cookie = form.headers["Set-Cookie"]
    assert "; Secure" in cookie
    jar = {"Cookie": cookie.split(";", 1)[0]}
    res = requests.post(
        f"{base}/sign-in",
        data={"csrf": csrf_of(form.text), "site": "demo", "key": key},
        headers=jar,
        allow_redirects=False,
        timeout=5,
    )
    assert res.status_code == 302
    # requests keeps a Secure cookie off plain http, as a browser would off a remote host:
    # the session goes by hand, as a thief's copy would.
    stolen = {"Cookie": res.headers["Set-Cookie"].split(";", 1)[0]}
    page = requests.get(f"{base}/", headers=stolen, timeout=5)
    assert OVERVIEW in page.text
    requests.post(f"{base}/sign-out", data={"csrf": csrf_of(page.text)}, headers=stolen, timeout=5)
    assert OVERVIEW not in requests.get(f"{base}/", headers=stolen, timeout=5).text


@pytest.mark.slow  # docker-compose
def test_compose_ships_secure_cookies() -> None:
    from tests.test_proxies_hostile import compose_environment

    assert str(compose_environment()["SESSION_COOKIE_SECURE"]) == "1"
