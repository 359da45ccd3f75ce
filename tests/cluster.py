"""A real local Redis Cluster for the tests: three masters on free loopback ports.

It uses the same redis-server binary as every other test (``find_redis_server()``) and
forms the cluster with plain commands, so it works with Redis 6.2 (no ADDSLOTSRANGE, no
``redis-cli --cluster``): each node gets a third of the slots, then they MEET.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import redis
from redis.cluster import RedisCluster

from widget.redis_server import RedisServer, port_is_free

SLOTS = 16384
NODE_TIMEOUT_MS = 2000
# A node also listens on its port + 10000 (the cluster bus), so ports must stay below
# 55536: the kernel's ephemeral range (free_port()) often hands out higher ones.
PORT_RANGE = (20000, 45000)


def cluster_port(taken: set[int]) -> int:
    """Return a port that is free, as is its cluster bus port (port + 10000)."""
    for _ in range(200):
        port = random.randint(*PORT_RANGE)
        if port not in taken and port_is_free(port) and port_is_free(port + 10000):
            taken.add(port)
            return port
    raise RuntimeError("no free port pair for a cluster node")


class ClusterClient(RedisCluster):
    """A RedisCluster whose KEYS asks every master, as KEYS on one Redis sees every key."""

    def keys(self, pattern: Any = "*", **kwargs: Any) -> Any:
        """Return the keys matching a pattern, from every master."""
        kwargs.setdefault("target_nodes", RedisCluster.PRIMARIES)
        return super().keys(pattern, **kwargs)


class LocalCluster:
    """Three redis-server processes in cluster mode, each the master of a third of the slots."""

    def __init__(self, data_dir: Path, masters: int = 3) -> None:
        taken: set[int] = set()
        cluster_args = (
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
        )  # fmt: skip
        self.servers = [
            RedisServer(
                data_dir / f"node{i}",
                cluster_port(taken),
                appendonly=False,
                extra_args=cluster_args,
            )
            for i in range(masters)
        ]

    @property
    def url(self) -> str:
        """Return the URL of one node: the service finds the others from it."""
        return self.servers[0].url

    def start(self, timeout: float = 20.0) -> LocalCluster:
        """Start the nodes, share the slots out, introduce them and wait for state ok."""
        for server in self.servers:
            server.start()
        nodes = [redis.Redis(port=s.port, decode_responses=True) for s in self.servers]
        try:
            share = -(-SLOTS // len(nodes))
            for i, node in enumerate(nodes):
                node.execute_command("CLUSTER SET-CONFIG-EPOCH", i + 1)
                slots = range(i * share, min((i + 1) * share, SLOTS))
                for chunk in range(slots.start, slots.stop, 1000):
                    node.execute_command(
                        "CLUSTER ADDSLOTS", *range(chunk, min(chunk + 1000, slots.stop))
                    )
            for server in self.servers[1:]:
                nodes[0].execute_command("CLUSTER MEET", "127.0.0.1", server.port)
            self._wait_ok(nodes, timeout)
        except Exception:
            self.stop()
            raise
        finally:
            for node in nodes:
                node.close()
        return self

    def _wait_ok(self, nodes: list[redis.Redis], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            infos = [node.cluster("INFO") for node in nodes]
            if all(
                info["cluster_state"] == "ok"
                and int(info["cluster_known_nodes"]) == len(nodes)
                and int(info["cluster_slots_assigned"]) == SLOTS
                for info in infos
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster did not form: {infos}")
            time.sleep(0.05)

    def client(self) -> ClusterClient:
        """Return a cluster client (decoded strings) that knows every node."""
        return ClusterClient.from_url(self.url, decode_responses=True)

    def flush(self) -> None:
        """Empty every master (FLUSHALL on each)."""
        for server in self.servers:
            with redis.Redis(port=server.port) as node:
                node.flushall()

    def stop(self) -> None:
        """Stop every node."""
        for server in self.servers:
            server.stop()
