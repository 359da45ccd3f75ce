"""A Redis Cluster client that connects on first use, not when the app is made.

``RedisCluster`` asks a node for the slot map as soon as it is built, and raises when no
node answers. Built in ``create_app()``, that would turn "the cluster is down while the
service starts" into a crash loop of gunicorn workers instead of what a single Redis
gives: the service starts, ``/readyz`` and the API answer 503 ``storage_unavailable``,
and it serves as soon as the cluster is back. So the real client is made on the first
command, and again on the next one if that failed.
"""

from __future__ import annotations

import threading
from typing import Any

from redis.cluster import RedisCluster
from redis.commands.core import Script


class LazyCluster:
    """Stand in for a RedisCluster, which is made (and connected) on first use."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self._url = url
        self._options = options
        self._cluster: RedisCluster | None = None
        self._lock = threading.Lock()

    def cluster(self) -> RedisCluster:
        """Return the real client, connecting to the cluster if it is not yet."""
        with self._lock:
            if self._cluster is None:
                self._cluster = RedisCluster.from_url(self._url, **self._options)
            return self._cluster

    def register_script(self, script: str) -> Script:
        """Return a Script that runs on this client, without connecting yet."""
        # As bytes, so that Script need not ask a connection for its encoding.
        return Script(self, script.encode())  # type: ignore[arg-type]

    def close(self) -> None:
        """Close the real client's connections, if it was ever made."""
        with self._lock:
            if self._cluster is not None:
                self._cluster.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cluster(), name)
