"""The local redis-server: when it cannot start, the error says why (its own words, its exit
code), not "read of closed file"."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from widget.local.redis_server import RedisServer, RedisServerError, free_port

# Each test starts a redis-server of its own.
pytestmark = pytest.mark.slow

HOST = "127.0.0.1"


def test_a_bad_argument_is_reported_with_the_servers_words(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, appendonly=False, extra_args=("--no-such-directive", "1"))
    with pytest.raises(RedisServerError) as caught:
        server.start(timeout=10)
    message = str(caught.value)
    assert "exited with code 1" in message
    assert "no-such-directive" in message  # redis-server's own complaint


def test_a_taken_port_is_reported(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = RedisServer(tmp_path, port, appendonly=False)
        with pytest.raises(RedisServerError) as caught:
            server.start(timeout=10)
    message = str(caught.value)
    assert "exited with code" in message
    assert "Address already in use" in message or "bind" in message.lower()


def test_a_server_that_never_answers_is_stopped_and_reported(tmp_path: Path) -> None:
    # A stand-in for a redis-server that hangs before it listens: what is under test is how
    # the starter reports it, which a real server cannot be made to do on demand.
    hung = tmp_path / "hung-redis-server"
    hung.write_text("#!/bin/sh\necho 'stuck before listening' >&2\nexec sleep 30\n")
    hung.chmod(hung.stat().st_mode | stat.S_IXUSR)
    server = RedisServer(tmp_path / "data", binary=str(hung), appendonly=False)
    with pytest.raises(RedisServerError) as caught:
        server.start(timeout=0.5)
    message = str(caught.value)
    assert "did not answer" in message and f"{HOST}:{server.port}" in message
    assert "stuck before listening" in message  # its own words, not "read of closed file"
    assert server.process is not None and server.process.poll() is not None  # stopped


def test_the_server_and_its_url_use_one_address(tmp_path: Path) -> None:
    with RedisServer(tmp_path, free_port(), appendonly=False) as server:
        assert server.url.startswith(f"redis://{HOST}:")
        import redis

        client = redis.Redis.from_url(server.url)
        assert client.config_get("bind")["bind"] == HOST
        client.close()
