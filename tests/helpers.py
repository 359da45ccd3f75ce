"""What the tests and scripts/bench share: a gunicorn, a Redis Cluster, waits that fail loudly.

The fixtures in conftest.py are thin wrappers around these, so that scripts/bench starts
the service exactly as the tests do. Nothing here is a stand-in: each helper starts the
real program (gunicorn with the production config, redis-server in cluster mode) or
observes a real one.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import requests
from redis.cluster import RedisCluster

from widget.local.redis_server import RedisServer, free_port, port_is_free
from widget.sites import DEFAULT_REACTIONS

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-not-for-production"


# The default reactions' keys, and a reaction set through the store on the demo site.
KEYS = tuple(r.key for r in DEFAULT_REACTIONS)


def zeros(**counts: int) -> dict[str, int]:
    """Return a full counts dict with the given non-zero counts."""
    return {key: counts.get(key, 0) for key in KEYS}


def react(store: Any, reader: str, reaction: str | None, article: str = "a1", **kw: Any) -> Any:
    """Set one reader's reaction to an article of the demo site through the store."""
    return store.set_reaction("demo", article, reader, reaction, KEYS, **kw)


def wait_for(check: Callable[[], Any], bound: float, what: str, every: float = 0.02) -> Any:
    """Call ``check`` until it returns something true, and return that; raise after ``bound`` s.

    A wait that gives up quietly lets the test go on to check a state it never reached,
    so this one raises, saying what was awaited.
    """
    deadline = time.monotonic() + bound
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {bound} s for {what}: it did not happen")
        time.sleep(every)


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


# -- gunicorn ----------------------------------------------------------------------------

# The environment of a test service: no site cache (a test sees its own changes at once)
# and no rate limits unless the test turns them on.
TEST_ENV = {"SECRET_KEY": SECRET, "SITE_CACHE_SECONDS": "0", "RATELIMIT_ENABLED": "0"}


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
    redis_url: str,
    log_dir: Path,
    workers: int | None = 2,
    *,
    base_env: Mapping[str, str] = TEST_ENV,
    ready_path: str = "/healthz",
    bound: float = 30,
    **env_overrides: str,
) -> LiveServer:
    """Start the production gunicorn config on a free port and wait until it answers.

    ``workers=None`` keeps gunicorn.conf.py's own default (2 x CPUs + 1).
    """
    port = free_port()
    env = {**os.environ, **base_env, "REDIS_URL": redis_url, "BIND": f"127.0.0.1:{port}"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py makes one per service
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    env.update(env_overrides)
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

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            # Long enough for a worker still booting: its socket (reuse_port) takes the
            # request at once and answers once the app is loaded; a probe given up on would
            # be answered later anyway, in the middle of the test.
            return requests.get(f"{server.url}{ready_path}", timeout=10).status_code == 200
        except OSError:
            return False

    try:
        wait_for(answers, bound, f"gunicorn to answer {ready_path}", every=0.1)
    except AssertionError:
        server.stop()
        raise RuntimeError(f"gunicorn did not answer: {log.read_text()[-2000:]}") from None
    return server


def _tcp_sockets(port: int, state: str) -> set[str]:
    """Return the inodes of this machine's TCP sockets on a local port in a state (hex)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == state and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def listeners(port: int) -> int:
    """Count the listening sockets on a local port: one a worker under SO_REUSEPORT."""
    return len(_tcp_sockets(port, "0A"))


def connections_per_process(port: int) -> dict[int, int]:
    """Count the established connections to a local port that each process holds.

    Read from /proc (no ``ss``, which a minimal Debian lacks): the port's sockets in
    /proc/net/tcp, then each process's descriptors that point at one of them. Only the
    server side counts (the local port is ``port``), so the clients' own sockets do not.
    """
    inodes = _tcp_sockets(port, "01")
    counts: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            held = sum(
                os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes
                for fd in (proc / "fd").iterdir()
            )
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if held:
            counts[int(proc.name)] = held
    return counts


def connections_per_worker(port: int, workers: int) -> list[int]:
    """Return the connections each of a service's workers holds, most first, idle ones as 0."""
    held = sorted(connections_per_process(port).values(), reverse=True)
    return held + [0] * (workers - len(held))


def wait_for_every_worker(url: str, workers: int, bound: float = 30) -> int:
    """Wait until each of a service's workers listens on its own socket (SO_REUSEPORT).

    Until a worker has booted, the kernel spreads connections over the others only, and a
    keep-alive connection stays where it was accepted. Returns the service's port.
    """
    port = int(url.rsplit(":", 1)[1])
    wait_for(lambda: listeners(port) >= workers, bound, f"{workers} workers listening")
    return port


# -- a real local Redis Cluster ----------------------------------------------------------
#
# Three masters on free loopback ports, with the same redis-server binary as every other
# test, formed with plain commands so that it works with Redis 6.2 (no ADDSLOTSRANGE, no
# ``redis-cli --cluster``): each node gets a third of the slots, then they MEET.

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
        nodes = [redis.Redis("127.0.0.1", s.port, decode_responses=True) for s in self.servers]
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
            wait_for(lambda: self._formed(nodes), timeout, "the cluster to form", every=0.05)
        except Exception:
            self.stop()
            raise
        finally:
            for node in nodes:
                node.close()
        return self

    @staticmethod
    def _formed(nodes: list[redis.Redis]) -> bool:
        infos = [node.cluster("INFO") for node in nodes]
        return all(
            info["cluster_state"] == "ok"
            and int(info["cluster_known_nodes"]) == len(nodes)
            and int(info["cluster_slots_assigned"]) == SLOTS
            for info in infos
        )

    def client(self) -> ClusterClient:
        """Return a cluster client (decoded strings) that knows every node."""
        return ClusterClient.from_url(self.url, decode_responses=True)

    def flush(self) -> None:
        """Empty every master (FLUSHALL on each)."""
        for server in self.servers:
            with redis.Redis("127.0.0.1", server.port) as node:
                node.flushall()

    def stop(self) -> None:
        """Stop every node."""
        for server in self.servers:
            server.stop()


# -- observing a client ------------------------------------------------------------------


class RoundTrips:
    """How many times clients sent to Redis and then waited for the replies.

    ``count`` is the trips a request waits for: commands sent to several nodes before any
    reply is read (a cluster's pipeline writes to every node, then reads) are one trip.
    ``sends`` counts each node's connection apart: the trips times the nodes each reached.
    """

    def __init__(self) -> None:
        self.count = 0
        self.sends = 0
        self.read_since_send = True


@contextmanager
def counting_round_trips(*clients: Any) -> Iterator[RoundTrips]:
    """Count the round trips redis-py clients (single or cluster) make within the block.

    Every connection pool of the client makes connections of a subclass that counts a
    send to that connection each time it sends after having read (or for the first time),
    and a round trip when no connection has a send awaiting its reply; the pools'
    connections are dropped before and after, so that none escapes the count. The
    handshake of a new connection (CLIENT SETINFO and the like) is not counted: it is
    made once per pooled connection, not per call.
    """
    trips = RoundTrips()
    pools = [pool for client in clients for pool in _pools(client)]
    originals = [pool.connection_class for pool in pools]
    for pool, original in zip(pools, originals, strict=True):

        class Counting(original):  # type: ignore[misc, valid-type]
            """A connection that counts its sends that follow a read."""

            _read_since_send = True
            _connecting = False

            def connect(self, *args: Any, **kwargs: Any) -> None:
                self._connecting = True
                try:
                    super().connect(*args, **kwargs)
                finally:
                    self._connecting, self._read_since_send = False, True

            def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
                if self._read_since_send and not self._connecting:
                    trips.sends += 1
                    self._read_since_send = False
                    if trips.read_since_send:
                        trips.count += 1
                        trips.read_since_send = False
                super().send_packed_command(*args, **kwargs)

            def read_response(self, *args: Any, **kwargs: Any) -> Any:
                if not self._connecting:  # a handshake's reply ends no trip
                    self._read_since_send = trips.read_since_send = True
                return super().read_response(*args, **kwargs)

        pool.disconnect()
        pool.reset()
        pool.connection_class = Counting
    try:
        yield trips
    finally:
        for pool, original in zip(pools, originals, strict=True):
            pool.disconnect()
            pool.reset()
            pool.connection_class = original


def _pools(client: Any) -> list[Any]:
    if isinstance(client, redis.Redis):
        return [client.connection_pool]
    # A cluster (or the service's LazyCluster, which hands attributes to its RedisCluster):
    # one pool per node.
    return [node.redis_connection.connection_pool for node in client.get_nodes()]
