"""Proxies and hostile clients: X-Forwarded-For values with ports, brackets or junk, and
the shipped configurations, which must not let a direct client choose its address."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import yaml

from tests.conftest import app_config, start_gunicorn
from widget import create_app, privacy
from widget.context import get_sites
from widget.local.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
URL = "/v1/sites/demo/reactions"
PROXY = "10.0.0.2"


@pytest.fixture
def behind_one_proxy(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[Any]:
    """Return a test client behind one trusted proxy, with a read limit of 3/minute."""
    config = app_config(
        redis_server, RATELIMIT_ENABLED=True, RATELIMIT_READ="3/minute", TRUSTED_PROXIES=1
    )
    app = create_app(config)
    with app.app_context():
        get_sites().create("demo", "Demo", [])
    yield app.test_client()
    app.extensions["reactions.store"].client.close()


def get(client: Any, forwarded: str) -> int:
    res = client.get(
        URL,
        query_string={"article": "a1"},
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    return int(res.status_code)


def test_an_ipv4_address_with_a_port_is_that_address(behind_one_proxy: Any) -> None:
    forms = ["203.0.113.7:51234", "203.0.113.7", "203.0.113.7:443", "203.0.113.7:1"]
    assert [get(behind_one_proxy, f) for f in forms] == [200, 200, 200, 429]
    assert get(behind_one_proxy, "203.0.113.8:51234") == 200


def test_an_ipv6_address_in_brackets_still_counts_by_its_64(behind_one_proxy: Any) -> None:
    forms = ["[2001:db8::1]:443", "2001:db8::2", "[2001:db8::3]", "[2001:db8:0:0:ffff::4]:80"]
    assert [get(behind_one_proxy, f) for f in forms] == [200, 200, 200, 429]
    assert get(behind_one_proxy, "[2001:db8:0:1::1]:443") == 200


def test_unreadable_values_share_one_bucket_with_one_warning(
    behind_one_proxy: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(privacy, "_last_warning", [float("-inf"), 0])  # none this minute yet
    junk = ["unknown", "_hidden", "203.0.113.7:http", "[2001:db8::1", "evil-1", "evil-2"]
    with caplog.at_level(logging.WARNING, logger="widget.privacy"):
        statuses = [get(behind_one_proxy, value) for value in junk]
    # One budget for all of them, not one per made-up string...
    assert statuses == [200, 200, 200, 429, 429, 429]
    # ...and one warning, not a line per request (a flood an attacker could cause).
    warnings = [r for r in caplog.records if r.name == "widget.privacy"]
    assert len(warnings) == 1
    assert "TRUSTED_PROXIES" in warnings[0].getMessage()
    # A readable address keeps its own budget.
    assert get(behind_one_proxy, "203.0.113.9") == 200


# -- the shipped configurations --------------------------------------------------------


def compose_environment() -> dict[str, Any]:
    """Return the web service's environment as docker-compose resolves it by default."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("no docker-compose: the test command installs Debian's docker-compose")
    result = subprocess.run(
        [binary, "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"),
         "config"],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "SECRET_KEY": "x" * 64, "METRICS_TOKEN": "m"},
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout)["services"]["web"]["environment"])


@pytest.mark.slow  # docker-compose
def test_no_shipped_configuration_trusts_a_forwarded_header() -> None:
    environment = compose_environment()
    assert str(environment["TRUSTED_PROXIES"]) == "0"
    assert "FORWARDED_ALLOW_IPS" not in environment
    assert "TRUSTED_PROXIES" not in (ROOT / "Dockerfile").read_text()
    assert "TRUSTED_PROXIES" not in (ROOT / "gunicorn.conf.py").read_text()


@pytest.mark.slow  # docker-compose and gunicorn
def test_a_direct_client_cannot_choose_its_address_under_the_shipped_gunicorn(
    redis_server: RedisServer, redis_client: redis.Redis, tmp_path: Path, app: Any
) -> None:
    with app.app_context():
        get_sites().create("demo", "Demo", [])
    environment = compose_environment()
    server = start_gunicorn(
        redis_server.url,
        tmp_path,
        workers=1,
        TRUSTED_PROXIES=str(environment["TRUSTED_PROXIES"]),
        RATELIMIT_ENABLED="1",
        RATELIMIT_READ="3/minute",
    )
    try:
        statuses = [
            requests.get(
                f"{server.url}{URL}",
                params={"article": "a1"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                timeout=5,
            ).status_code
            for i in range(5)
        ]
    finally:
        server.stop()
    assert statuses == [200, 200, 200, 429, 429]
