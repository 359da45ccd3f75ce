"""The whole store, reader API, sites CLI, concurrency and reindex suites again, on a Redis Cluster.

Each suite's tests are collected a second time here, unchanged, in a class of their own;
this module's ``app``, ``redis_client`` and ``live_server`` fixtures put them on a real
three-master cluster (tests/cluster.py) instead of the single Redis. A test added to one
of those modules runs on both backends without any change here.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from _pytest.fixtures import FixtureFunctionDefinition
from redis.cluster import RedisCluster

from tests import (
    test_articles,
    test_cli,
    test_concurrency,
    test_reader_api,
    test_reindex,
    test_store,
)
from tests.conftest import start_gunicorn

pytestmark = pytest.mark.cluster


@pytest.fixture
def redis_client(cluster_client: RedisCluster) -> RedisCluster:
    """Return the emptied cluster where the suites expect the single Redis."""
    return cluster_client


@pytest.fixture
def app(cluster_app: Any) -> Any:
    """Return the app with REDIS_CLUSTER=1 where the suites expect the single-Redis app."""
    return cluster_app


@pytest.fixture(scope="module")
def live_server(redis_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Serve the app on the cluster with the production gunicorn config."""
    server = start_gunicorn(
        redis_cluster.url, tmp_path_factory.mktemp("gunicorn-cluster"), REDIS_CLUSTER="1"
    )
    yield server
    server.stop()


def again(module: ModuleType) -> dict[str, Any]:
    """Return a module's tests and fixtures, to be collected once more in a class."""
    members: dict[str, Any] = {}
    for name, obj in vars(module).items():
        if name.startswith("test_") and inspect.isfunction(obj):
            members[name] = staticmethod(obj)
    return members


def fixtures_of(*modules: ModuleType) -> dict[str, Any]:
    """Return the modules' own fixtures (such as ``site``), to be defined here as well."""
    found: dict[str, Any] = {}
    for module in modules:
        for name, obj in vars(module).items():
            if isinstance(obj, FixtureFunctionDefinition) and name not in OVERRIDDEN:
                if name in found and found[name] is not obj:
                    raise RuntimeError(f"two suites define a fixture {name!r}: rename one")
                found[name] = obj
    return found


OVERRIDDEN = frozenset({"app", "redis_client", "live_server"})
SUITES = (test_store, test_reader_api, test_cli, test_concurrency, test_reindex, test_articles)
globals().update(fixtures_of(*SUITES))

TestStoreOnCluster = type("TestStoreOnCluster", (), again(test_store))
TestReaderApiOnCluster = type("TestReaderApiOnCluster", (), again(test_reader_api))
TestCliOnCluster = type("TestCliOnCluster", (), again(test_cli))
TestConcurrencyOnCluster = type("TestConcurrencyOnCluster", (), again(test_concurrency))
TestReindexOnCluster = type("TestReindexOnCluster", (), again(test_reindex))
TestArticlesOnCluster = type("TestArticlesOnCluster", (), again(test_articles))
