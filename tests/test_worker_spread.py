"""Keep-alive connections spread over the gunicorn workers, with the service as it ships.

A proxy's keep-alive pool, a browser or wrk opens its connections at once and keeps them;
on one shared listening socket a gthread worker accepted all it could, and one worker often
served all of them while the others sat idle. Each worker now listens on a socket of its
own (``reuse_port`` in gunicorn.conf.py) and the kernel spreads the connections.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import (
    ROOT,
    TEST_ENV,
    connections_per_process,
    start_gunicorn,
    wait_for_every_worker,
)
from widget.local.redis_server import RedisServer

pytestmark = pytest.mark.slow

CONNECTIONS = 32  # as many as scripts/bench's wrk holds (-c32)
WORKERS = 2 * (os.cpu_count() or 1) + 1  # gunicorn.conf.py's default


def keep_alive_connections(url: str, count: int) -> list[socket.socket]:
    """Open count connections at once, each answered once and then held open."""
    host, port = url.removeprefix("http://").split(":")
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    opened: list[socket.socket] = []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def one() -> None:
        start.wait(10)
        conn = socket.create_connection((host, int(port)), timeout=10)
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
        assert b"connection: close" not in answer.lower()
        with lock:
            opened.append(conn)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return opened


def test_no_worker_holds_more_than_half_of_the_connections(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    server = start_gunicorn(redis_server.url, tmp_path, workers=None)
    try:
        port = wait_for_every_worker(server.url, WORKERS)
        conns = keep_alive_connections(server.url, CONNECTIONS)
        try:
            assert len(conns) == CONNECTIONS
            held = connections_per_process(port)
            assert sum(held.values()) == CONNECTIONS, held
            assert len(held) <= WORKERS, held  # workers only, not the master
            assert max(held.values()) <= CONNECTIONS // 2, sorted(held.values())
        finally:
            for conn in conns:
                conn.close()
    finally:
        server.stop()


def test_a_second_service_on_a_taken_port_refuses_to_start(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """Sockets that reuse a port share it silently: the config checks that none is taken."""
    server = start_gunicorn(redis_server.url, tmp_path)
    try:
        env = {**os.environ, **TEST_ENV, "REDIS_URL": redis_server.url,
               "BIND": server.url.removeprefix("http://")}  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        second = subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "widget:create_app()"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode != 0
        assert "is in use by another process" in second.stderr + second.stdout
    finally:
        server.stop()
