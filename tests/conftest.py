"""Fixtures: a real redis-server on a free port, the app, its clients, a live gunicorn.

Nothing here is a stand-in: the store runs its real Lua scripts on a real Redis, and the
live server is the production gunicorn config serving the real app.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from widget import create_app
from widget.context import get_sites
from widget.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-not-for-production"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Start one redis-server for the session, never on 6379 and never with real data."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), appendonly=False)
    try:
        server.start()
    except Exception as exc:  # say why, once, instead of failing every test obscurely
        pytest.exit(f"cannot start redis-server for the tests: {exc}", returncode=3)
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """Return a client of the test Redis, emptied before the test."""
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


def app_config(redis_server: RedisServer, **overrides: Any) -> dict[str, Any]:
    """Return the test configuration of the app, with overrides."""
    return {
        "TESTING": True,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": SECRET,
        "SITE_CACHE_SECONDS": 0,
        "RATELIMIT_ENABLED": False,
        **overrides,
    }


@pytest.fixture
def app(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[Any]:
    """Return the app on the test Redis, emptied, with rate limits off."""
    app = create_app(app_config(redis_server))
    yield app
    app.extensions["reactions.store"].client.close()


@pytest.fixture
def client(app: Any) -> Any:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    """Return a CLI runner of the app."""
    return app.test_cli_runner()


@pytest.fixture
def store(app: Any) -> Any:
    """Return the app's store."""
    return app.extensions["reactions.store"]


@pytest.fixture
def make_site(app: Any) -> Callable[..., str]:
    """Return a function that creates a site and returns its API key."""

    def make(site_id: str = "demo", origins: tuple[str, ...] = (), name: str = "") -> str:
        with app.app_context():
            _, api_key = get_sites().create(site_id, name or site_id.title(), list(origins))
        return api_key

    return make


@dataclass
class LiveServer:
    """A gunicorn process serving the app on 127.0.0.1."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Stop gunicorn."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(
    redis_url: str, log_dir: Path, workers: int = 2, **env_overrides: str
) -> LiveServer:
    """Start the production gunicorn config on a free port and wait until it answers."""
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET,
        "SITE_CACHE_SECONDS": "0",
        "RATELIMIT_ENABLED": "0",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        **env_overrides,
    }
    log = log_dir / f"gunicorn-{port}.log"
    with log.open("wb") as log_file:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "widget:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def live_server(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Serve the app with the production gunicorn config for the whole session."""
    server = start_gunicorn(redis_server.url, tmp_path_factory.mktemp("gunicorn"))
    yield server
    server.stop()


# -- a real Redis Cluster (tests/cluster.py) -------------------------------------------


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a three-master Redis Cluster for the session, with the tests' redis-server."""
    from tests.cluster import LocalCluster

    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
    except Exception as exc:
        pytest.fail(f"cannot start a local Redis Cluster: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_client(redis_cluster: Any) -> Iterator[Any]:
    """Return a RedisCluster client of the test cluster, emptied before the test."""
    redis_cluster.flush()
    client = redis_cluster.client()
    yield client
    client.close()


@pytest.fixture
def cluster_app(
    redis_server: RedisServer, redis_cluster: Any, cluster_client: Any
) -> Iterator[Any]:
    """Return the app on the test cluster (REDIS_CLUSTER=1), emptied, with rate limits off."""
    app = create_app(app_config(redis_server, REDIS_URL=redis_cluster.url, REDIS_CLUSTER=True))
    yield app
    app.extensions["reactions.store"].client.close()


# -- the real browser ------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Return the folder (kept out of git) where tests leave screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Start Debian's headless Chromium once, driven by Playwright (no browser download)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: the test command installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_context(browser: Any) -> Iterator[Any]:
    """Return a fresh browser profile (its own localStorage) for one test."""
    context = browser.new_context(viewport={"width": 900, "height": 1000})
    yield context
    context.close()
