"""Fixtures: a real redis-server on a free port, the app, its clients, a live gunicorn.

Nothing here is a stand-in: the store runs its real Lua scripts on a real Redis, and the
live server is the production gunicorn config serving the real app. The helpers these
fixtures use (and scripts/bench too) are in tests/helpers.py.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from tests.helpers import ROOT, LiveServer, LocalCluster, app_config, start_gunicorn
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer

# -- which tests are slow, and which run on a cluster too ----------------------------------

# Slow: a test that starts a process of its own or a browser. The fast run (-m "not slow")
# has one Redis, the session's `redis_server`, and starts nothing else: no redis-server of
# its own, no cluster, gunicorn, nginx, docker-compose or Chromium.
# Tests that use one of these fixtures are marked slow here; a test that starts a process
# some other way carries the mark itself, and the watch below fails it if it does not.
SLOW_FIXTURES = frozenset(
    {"live_server", "browser", "redis_cluster", "cluster_app", "cluster_client",
     "single_live_server", "cluster_live_server", "metrics_server"}
)  # fmt: skip
SLOW_MARKERS = ("browser", "cluster")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each Redis test of a module marked ``on_cluster_too`` on one Redis and on a cluster."""
    if metafunc.definition.get_closest_marker("on_cluster_too") and (
        "backend" in metafunc.fixturenames
    ):
        cluster = pytest.param("cluster", marks=[pytest.mark.cluster, pytest.mark.slow])
        metafunc.parametrize("backend", ["redis", cluster], indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow every browser or cluster test and every test that starts a live server."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SLOW_FIXTURES or any(item.get_closest_marker(m) for m in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)


# -- the watch: a test not marked slow starts no process -------------------------------
#
# Marks read at collection miss what a test reaches at run time (a fixture fetched with
# getfixturevalue, a helper that runs docker-compose), so every process start is watched
# with an audit hook (PEP 578: each one raises an audit event, however it is reached), and
# a test not marked slow that starts one fails, naming it. Only `redis_server`, the
# session's one Redis, may start its process during a fast test's setup (PROCESS_WATCH.allowed).

PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.exec", "os.fork",
     "os.forkpty"}
)  # fmt: skip


class ProcessWatch:
    """Record the processes started while a test that is not slow runs."""

    def __init__(self) -> None:
        self.on = False
        self.started: list[str] = []

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """Note a process start (an audit hook: called for every audit event)."""
        if self.on and event in PROCESS_EVENTS:
            self.started.append(f"{event} {args[1] if len(args) > 1 else args!r}")

    def watch(self, item: pytest.Item) -> Generator[None, Any, Any]:
        """Run one phase of a test (a hook wrapper's body); fail it if it started a process."""
        self.on, self.started = item.get_closest_marker("slow") is None, []
        try:
            result = yield
        finally:
            self.on = False
        if self.started:
            pytest.fail(
                f"a test not marked slow started a process: {'; '.join(self.started)}. "
                "Mark it slow (tests/conftest.py says what is slow), or use the session's "
                "redis_server",
                pytrace=False,
            )
        return result

    @contextlib.contextmanager
    def allowed(self) -> Iterator[None]:
        """Let a process start: the session's one redis-server, whichever test sets it up."""
        was, self.on = self.on, False
        try:
            yield
        finally:
            self.on = was


PROCESS_WATCH = ProcessWatch()
sys.addaudithook(PROCESS_WATCH.audit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    """Fail a fast test whose fixtures start a process (the session's Redis excepted)."""
    return (yield from PROCESS_WATCH.watch(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Fail a fast test that starts a process."""
    return (yield from PROCESS_WATCH.watch(item))


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Return which Redis the test runs on: "redis" (one server) unless parametrized."""
    return str(getattr(request, "param", "redis"))


# -- one real Redis --------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Start one redis-server for the session, never on 6379 and never with real data."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), appendonly=False)
    try:
        with PROCESS_WATCH.allowed():
            server.start()
    except Exception as exc:  # say why, once, instead of failing every test obscurely
        pytest.exit(f"cannot start redis-server for the tests: {exc}", returncode=3)
    yield server
    server.stop()


@pytest.fixture
def redis_client(
    backend: str, redis_server: RedisServer, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Return a client of the test Redis (or cluster), emptied before the test."""
    if backend == "cluster":
        yield request.getfixturevalue("cluster_client")
        return
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def app(
    backend: str, redis_server: RedisServer, redis_client: Any, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """Return the app on the test Redis (or cluster), emptied, with rate limits off."""
    if backend == "cluster":
        yield request.getfixturevalue("cluster_app")
        return
    app = create_app(app_config(redis_server))
    yield app
    app.extensions["reactions.store"].client.close()


@pytest.fixture
def make_app(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[Callable[..., Any]]:
    """Return a factory of apps on the test Redis with rate limits on, and close them."""
    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        app = create_app(app_config(redis_server, **{"RATELIMIT_ENABLED": True, **overrides}))
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["reactions.store"].client.close()


@pytest.fixture
def private_app(redis_server: RedisServer, redis_client: Any) -> Iterator[Any]:
    """Return the app with loopback webhook receivers allowed (the tests' receivers), and a
    demo site whose key is ``app.config["TEST_KEY"]``."""
    app = create_app(app_config(redis_server, WEBHOOK_ALLOW_PRIVATE=True))
    with app.app_context():
        _, app.config["TEST_KEY"] = get_sites().create("demo", "Demo", [])
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


@pytest.fixture(scope="session")
def single_live_server(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Serve the app with the production gunicorn config for the whole session."""
    server = start_gunicorn(redis_server.url, tmp_path_factory.mktemp("gunicorn"))
    yield server
    server.stop()


@pytest.fixture
def live_server(backend: str, request: pytest.FixtureRequest) -> LiveServer:
    """Return the session's gunicorn on the test Redis (or the one on the cluster)."""
    name = "cluster_live_server" if backend == "cluster" else "single_live_server"
    return cast(LiveServer, request.getfixturevalue(name))


# -- a real Redis Cluster (tests/helpers.py) -------------------------------------------


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a three-master Redis Cluster for the session, with the tests' redis-server."""
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


@pytest.fixture(scope="session")
def cluster_live_server(
    redis_cluster: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Serve the app on the cluster with the production gunicorn config."""
    server = start_gunicorn(
        redis_cluster.url, tmp_path_factory.mktemp("gunicorn-cluster"), REDIS_CLUSTER="1"
    )
    yield server
    server.stop()


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
