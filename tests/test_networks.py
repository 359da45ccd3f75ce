"""An IPv6 /48 is not 65,536 clients: its /64s share the lasting budgets, 8 times a /64's.

``X-Forwarded-For`` behind one trusted proxy stands in for real IPv6 sources.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import app_config
from widget import create_app
from widget.context import get_sites
from widget.privacy import NETWORK_SHARE, network_hash, wider_network

BASE = "/v1/sites/demo"
BUDGET = 2  # NEW_ARTICLES_PER_ADDRESS_PER_DAY
CAP = 3  # READERS_PER_ADDRESS_PER_ARTICLE


pytestmark = pytest.mark.on_cluster_too


@pytest.fixture
def service(
    backend: str, redis_server: Any, redis_client: Any, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Return the app with rate limits on, small budgets, behind one trusted proxy."""
    on_cluster: dict[str, Any] = {}
    if backend == "cluster":  # redis_client emptied it
        on_cluster = {"REDIS_URL": request.getfixturevalue("redis_cluster").url,
                      "REDIS_CLUSTER": True}  # fmt: skip
    app = create_app(
        app_config(
            redis_server,
            RATELIMIT_ENABLED=True,
            TRUSTED_PROXIES=1,
            NEW_ARTICLES_PER_ADDRESS_PER_DAY=BUDGET,
            READERS_PER_ADDRESS_PER_ARTICLE=CAP,
            **on_cluster,
        )
    )
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    app.config["API_KEY"] = key
    yield app
    app.extensions["reactions.store"].client.close()


def post(client: Any, address: str, article: str, reader: str) -> Any:
    """POST a reaction from an address, through the trusted proxy."""
    body = {"article": article, "reader": reader, "reaction": "love"}
    return client.post(
        f"{BASE}/reactions",
        json=body,
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": address},
    )


def articles(client: Any, key: str) -> int:
    """Return how many articles the publisher sees."""
    got = client.get(f"{BASE}/summary?days=1", headers={"Authorization": f"Bearer {key}"})
    return int(got.get_json()["articles"])


def test_the_slash_48_around_a_slash_64_is_the_same_network() -> None:
    assert wider_network("2001:db8:1:2::7") == "2001:db8:1::/48"
    assert wider_network("[2001:db8:1:ffff::1]:443") == "2001:db8:1::/48"
    assert wider_network("203.0.113.7") is None
    assert wider_network("::ffff:203.0.113.7") is None  # IPv4, written as IPv6
    assert wider_network("unknown") is None
    one, other = (network_hash(a, "s", 0) for a in ("2001:db8:1:2::7", "2001:db8:1:3::9"))
    assert one == other and one != network_hash("2001:db8:2::1", "s", 0)


def test_many_slash_64s_of_one_slash_48_start_at_most_8_budgets(service: Any) -> None:
    client = service.test_client()
    key = service.config["API_KEY"]
    statuses: dict[int, int] = {}
    codes = set()
    for n in range(40):  # 40 /64s of one /48, each trying three new articles
        for i in range(3):
            answer = post(client, f"2001:db8:1:{n:x}::1", f"/made-up/{n}/{i}", f"reader-{n:016d}")
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            if answer.status_code != 200:
                codes.add(answer.get_json()["error"]["code"])
    assert statuses[200] == NETWORK_SHARE * BUDGET  # 16, not 40 x 2
    assert codes == {"new_article_budget"}
    assert articles(client, key) == NETWORK_SHARE * BUDGET
    # Another /48, and an IPv4 client, have budgets of their own.
    assert post(client, "2001:db8:2::1", "/other-48", "reader-0000000000000a").status_code == 200
    assert post(client, "203.0.113.9", "/ipv4", "reader-0000000000000b").status_code == 200
    # A /64 of the /48 that is spent is refused, and nothing changes.
    refused = post(client, "2001:db8:1:ffff::1", "/one-more", "reader-0000000000000c")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert articles(client, key) == NETWORK_SHARE * BUDGET + 2


def test_many_slash_64s_of_one_slash_48_add_at_most_8_caps_to_an_article(service: Any) -> None:
    client = service.test_client()
    key = service.config["API_KEY"]
    assert post(client, "203.0.113.1", "/story", "reader-0000000000000a").status_code == 200
    counted = 0
    for n in range(20):  # 20 /64s, each with CAP + 1 new readers
        for r in range(CAP + 1):
            answer = post(client, f"2001:db8:1:{n:x}::1", "/story", f"reader-{n:08d}{r:08d}")
            counted += answer.status_code == 200
    assert counted == NETWORK_SHARE * CAP  # 24, not 20 x 3
    auth = {"Authorization": f"Bearer {key}"}
    got = client.get(f"{BASE}/article?article=/story", headers=auth).get_json()
    assert got["counts"]["love"] == 1 + NETWORK_SHARE * CAP
    # IPv4 clients each have their own cap, as before.
    for n in range(3):
        answer = post(client, f"198.51.100.{n + 1}", "/story", f"reader-{n:08d}zzzzzzzz")
        assert answer.status_code == 200
