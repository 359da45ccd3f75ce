"""Which address the limits key on, with and without a trusted proxy in front."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.helpers import app_config
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer

URL = "/v1/sites/demo/reactions"
PROXY = "10.0.0.2"


@pytest.fixture
def make_client(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[Any]:
    """Return a factory of test clients with a read limit of 3/minute and a site."""
    apps: list[Any] = []

    def make(trusted_proxies: int) -> Any:
        app = create_app(
            app_config(
                redis_server,
                RATELIMIT_ENABLED=True,
                RATELIMIT_READ="3/minute",
                TRUSTED_PROXIES=trusted_proxies,
            )
        )
        apps.append(app)
        with app.app_context():
            get_sites().create("demo", "Demo", [])
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["reactions.store"].client.close()


def get(client: Any, remote: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    res = client.get(
        URL, query_string={"article": "a1"}, headers=headers, environ_base={"REMOTE_ADDR": remote}
    )
    return int(res.status_code)


def test_without_a_trusted_proxy_a_spoofed_header_changes_nothing(make_client: Any) -> None:
    client = make_client(0)
    # A new made-up address in every request: still one socket address, one budget.
    statuses = [get(client, "198.51.100.7", f"203.0.113.{i}") for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    # And the address it pretends to be has its own untouched budget.
    assert get(client, "203.0.113.1") == 200


def test_with_one_trusted_proxy_the_last_hop_is_the_client(make_client: Any) -> None:
    client = make_client(1)
    # Two readers behind the same proxy have their own budgets.
    assert [get(client, PROXY, "203.0.113.7") for _ in range(3)] == [200] * 3
    assert get(client, PROXY, "203.0.113.7") == 429
    assert get(client, PROXY, "2001:db8::1") == 200
    # A client that adds made-up entries on the left is still known by the last hop,
    # the one the proxy itself appended.
    spoofed = [get(client, PROXY, f"192.0.2.{i}, 203.0.113.7") for i in range(3)]
    assert spoofed == [429] * 3


def test_with_one_trusted_proxy_a_request_without_the_header_is_the_proxy(
    make_client: Any,
) -> None:
    client = make_client(1)
    assert [get(client, PROXY) for _ in range(4)] == [200, 200, 200, 429]
    assert get(client, PROXY, "203.0.113.9") == 200


def test_an_ipv6_client_is_its_64_network(make_client: Any) -> None:
    client = make_client(1)
    # One host picks a new address in its /64 for every request: still one budget.
    hops = ["2001:db8:0:7::1", "2001:db8:0:7::2", "2001:db8::7:0:0:0:3", "2001:db8:0:7:ffff::4"]
    assert [get(client, PROXY, hop) for hop in hops] == [200, 200, 200, 429]
    # The next /64 is someone else; an IPv4 address written as IPv6 is that IPv4 address.
    assert get(client, PROXY, "2001:db8:0:8::1") == 200
    assert [get(client, PROXY, "203.0.113.50") for _ in range(3)] == [200] * 3
    assert get(client, PROXY, "::ffff:203.0.113.50") == 429
