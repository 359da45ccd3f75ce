"""Publisher auth under attack: a wrong API key costs one lookup, not a read of every site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from widget.context import get_sites

URL = "/v1/sites/demo/summary"


def commands(client: redis.Redis) -> dict[str, int]:
    """Return how many times Redis ran each command so far (INFO commandstats)."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def cost(client: redis.Redis, request: Callable[[], Any]) -> dict[str, int]:
    """Return the commands one request runs on Redis (INFO itself left out)."""
    before = commands(client)
    request()
    after = commands(client)
    spent = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    spent["info"] = spent.get("info", 1) - 1  # the first INFO call is counted by the second
    return {k: n for k, n in spent.items() if n}


@pytest.fixture
def many_sites(app: Any, make_site: Callable[..., str]) -> dict[str, str]:
    """Create "demo", "other" and 60 more sites; return the keys of the first two."""
    keys = {"demo": make_site("demo"), "other": make_site("other")}
    with app.app_context():
        for i in range(60):
            get_sites().create(f"site-{i}", "", [])
    return keys


@pytest.mark.parametrize(
    "key", ["rk_wrong", "rk_other_wrong", "rk_demo_wrong", "rk_nosuch_x", "garbage", "rk__x"]
)
def test_a_wrong_key_costs_one_lookup(
    client: Any, redis_client: redis.Redis, many_sites: dict[str, str], key: str
) -> None:
    def request() -> None:
        res = client.get(URL, headers={"Authorization": f"Bearer {key}"})
        assert res.status_code == 401

    spent = cost(redis_client, request)
    # The site's own record (SITE_CACHE_SECONDS is 0 in the tests), and at most the record
    # of the site the key names: never the list of sites or all their records.
    assert "smembers" not in spent and "mget" not in spent, spent
    assert sum(spent.values()) <= 2, spent


def test_another_sites_key_is_403_for_one_more_lookup(
    client: Any, redis_client: redis.Redis, many_sites: dict[str, str]
) -> None:
    def request() -> None:
        res = client.get(URL, headers={"Authorization": f"Bearer {many_sites['other']}"})
        assert res.status_code == 403
        assert res.get_json()["error"]["code"] == "forbidden"

    spent = cost(redis_client, request)
    assert spent == {"get": 2}, spent


def test_the_right_key_still_works(client: Any, many_sites: dict[str, str]) -> None:
    res = client.get(URL, headers={"Authorization": f"Bearer {many_sites['demo']}"})
    assert res.status_code == 200


def test_a_key_names_its_site(many_sites: dict[str, str]) -> None:
    assert many_sites["demo"].startswith("rk_demo_")
    assert many_sites["other"].startswith("rk_other_")
