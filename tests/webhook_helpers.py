"""A real webhook receiver on loopback, and a worker run in a thread, for the webhook tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from widget.sites import SiteRegistry
from widget.store import Store
from widget.webhooks.worker import Worker


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    path: str


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST and answers ``status(n)``."""

    status: Callable[[int], int] = lambda n: 200
    delay: float = 0.0
    got: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook?x=1"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.got.append(Received(dict(self.headers.items()), body, self.path))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status(len(receiver.got))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Received]:
        """Wait until ``count`` requests came; return them."""
        deadline = time.monotonic() + seconds
        while len(self.got) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.got) >= count, f"got {len(self.got)} requests, wanted {count}"
        return self.got


@contextmanager
def receiving(**kw: Any) -> Iterator[Receiver]:
    """Run a receiver for the block."""
    receiver = Receiver(**kw).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@contextmanager
def working(
    store: Store, sites: SiteRegistry, schedule: tuple[float, ...] = (0.2, 0.2)
) -> Iterator[Worker]:
    """Run a delivery worker in a thread for the block (private addresses allowed)."""
    worker = Worker(store, sites, schedule, allow_private=True, threads=4)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop.set()
        thread.join(15)


def give_webhooks(store: Store, sites: SiteRegistry, site: str, count: int = 10) -> None:
    """Give a site ``count`` webhooks of 20 milestones each, as an admin would (no worker
    needed: their events wait in the stream), for the benchmarks and tests."""
    from dataclasses import replace

    from widget.webhooks.hooks import EVENTS, MAX_MILESTONES
    from widget.webhooks.signing import new_secret

    milestones = [10 * (n + 1) for n in range(MAX_MILESTONES)]
    for n in range(count):
        record = {"url": f"https://example.com/hook/{n}", "events": list(EVENTS),
                  "milestones": milestones, "secret": new_secret(),
                  "created_at": "2026-12-06T00:00:00Z"}  # fmt: skip
        store.webhooks.put(site, f"wh_bench{n:04d}", record)
    sites.change(site, lambda s: replace(s, milestones=tuple(milestones)))
