"""What the browser tests share: host pages on another origin, watched pages, fixtures.

The host pages come from a loopback server of their own (another port, so another origin
than the service) and are sent with a strict Content-Security-Policy: only the service may
provide scripts and answer fetches, nothing else is allowed (no inline script or style).
Every page records page errors, console errors and CSP violations, and a test fails on any
it did not expect.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.helpers import KEYS
from widget.sites import DEFAULT_REACTIONS

LABELS = [r.label for r in DEFAULT_REACTIONS]
HEADING = "What's your reaction?"
UNAVAILABLE = "Reactions are unavailable right now."
NOT_SAVED = "Could not save your reaction. Please try again."
# What Chromium logs by itself when a fetch fails; tests that make one fail allow it.
NETWORK_ERRORS = re.compile(r"Failed to load resource|blocked by CORS policy")
# Runs before any script of the page (Playwright injects it; the page's CSP does not apply).
WATCH_CSP = """
document.addEventListener('securitypolicyviolation', (e) =>
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
"""
LISTEN_FOR_CHANGES = """
window.changes = [];
document.addEventListener('reactions:change', (e) => window.changes.push(
  {detail: e.detail, bubbles: e.bubbles, composed: e.composed,
   target: e.target.id || e.composedPath()[0].tagName}));
"""
BLOCK_STORAGE = """
Object.defineProperty(window, 'localStorage', {get() {
  throw new DOMException('storage is blocked', 'SecurityError');
}});
"""


# -- the host pages: another origin, a strict CSP ---------------------------------------


class HostPages:
    """A loopback web server of another origin than the service, for pages under test."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, str]] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path.startswith("/v1/"):
                    # A broken service: a proxy's HTML error page, readable by any origin.
                    return self.answer(502, b"<html>Bad gateway</html>", "*")
                if path not in pages:
                    return self.answer(204 if path == "/favicon.ico" else 404, b"")
                body, csp = pages[path]
                self.answer(200, body.encode(), csp=csp)

            def answer(self, status: int, body: bytes, cors: str = "", csp: str = "") -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                if cors:
                    self.send_header("Access-Control-Allow-Origin", cors)
                if csp:
                    self.send_header("Content-Security-Policy", csp)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass  # quiet: pytest shows what matters

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(
        self, path: str, body: str, script_from: str, connect_to: str, more_csp: str = ""
    ) -> str:
        """Serve a page at path under a CSP that trusts only the given origins; return its URL."""
        csp = f"default-src 'none'; script-src {script_from}; connect-src {connect_to}{more_csp}"
        self.pages[path] = (body, csp)
        return self.origin + path

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def host() -> Iterator[HostPages]:
    """Serve host pages from a loopback origin of their own."""
    pages = HostPages()
    yield pages
    pages.close()


def widget(article: str, element_id: str = "", **attrs: str) -> str:
    """Return the embed element of one article."""
    extra = "".join(f' data-{k}="{html.escape(v)}"' for k, v in attrs.items())
    id_attr = f' id="{element_id}"' if element_id else ""
    return f'<div data-reactions data-site="demo" data-article="{article}"{id_attr}{extra}></div>'


@pytest.fixture
def make_page(host: HostPages, live_server: Any) -> Callable[..., str]:
    """Return a function that serves a host page with the embed snippet; it returns the URL."""
    count = iter(range(1_000_000))

    def make(body: str, api: str | None = None, head: str = "", script: bool = True) -> str:
        snippet = f'<script async src="{live_server.url}/static/embed.js"></script>'
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Sony flip-flops on smartphone strategy</title>{head}</head>"
            f"<body><main><h1>An article</h1><p>Text.</p>{body}</main>"
            f"{snippet if script else ''}</body></html>"
        )
        return host.add(f"/page-{next(count)}", page, live_server.url, api or live_server.url)

    return make


@pytest.fixture
def site(make_site: Callable[..., str], host: HostPages) -> str:
    """Create the site 'demo', embeddable on the host pages' origin only."""
    make_site("demo", (host.origin,))
    return "demo"


# -- pages that record everything that goes wrong ----------------------------------------


class Watched:
    """A page with what it asked for and what went wrong in it."""

    def __init__(self, page: Page, service: str) -> None:
        self.page = page
        self.requests: list[Any] = []
        self.problems: list[str] = []
        self.allow: re.Pattern[str] | None = None
        page.add_init_script(WATCH_CSP)
        page.on("request", lambda r: self.requests.append(r) if r.url.startswith(service) else None)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("console", self._console)
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        self.warnings: list[str] = []

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(message.text)
        elif message.type == "warning":
            self.warnings.append(message.text)

    def count_gets(self) -> int:
        """Return how many counts requests the page made."""
        return sum(1 for r in self.requests if r.method == "GET" and "/v1/sites/" in r.url)

    def posts(self) -> list[Any]:
        """Return the page's POSTs to the service."""
        return [r for r in self.requests if r.method == "POST"]

    def unexpected(self) -> list[str]:
        """Return the problems that the test did not say to expect."""
        allow = self.allow
        return [p for p in self.problems if not (allow and allow.search(p))]


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Watched]]:
    """Return a function that opens a URL in a fresh profile (or a given one), watched."""
    contexts: list[Any] = []
    watched: list[Watched] = []

    def open_(url: str, context: Any = None, init: str = "", **options: Any) -> Watched:
        if context is None:
            options.setdefault("viewport", {"width": 900, "height": 900})
            context = browser.new_context(**options)
            contexts.append(context)
        w = Watched(context.new_page(), live_server.url)
        if init:
            w.page.add_init_script(init)
        watched.append(w)
        w.page.goto(url)
        return w

    yield open_
    for context in contexts:
        context.close()
    for w in watched:
        assert w.unexpected() == []


def button(page: Page, reaction: str, element: str = "[data-reactions]") -> Any:
    """Return the widget's button of one reaction (Playwright's CSS pierces shadow roots)."""
    return page.locator(f"{element} button[data-reaction={reaction}]")


def expect_counts(page: Page, counts: dict[str, int], element: str = "[data-reactions]") -> None:
    """Wait until the widget shows these counts (others zero), each with its share."""
    total = sum(counts.values())
    for key, label in zip(KEYS, LABELS, strict=True):
        n = counts.get(key, 0)
        share = int(100 * n / total + 0.5) if total else 0  # Math.round
        expect(button(page, key, element).locator("[data-count]")).to_have_text(str(n))
        expect(button(page, key, element)).to_have_attribute(
            "aria-label", f"{label}, {n}, {share}%"
        )


def expect_pressed(page: Page, pressed: str | None, element: str = "[data-reactions]") -> None:
    """Wait until exactly the given reaction's button is pressed (none for None)."""
    for key in KEYS:
        state = "true" if key == pressed else "false"
        expect(button(page, key, element)).to_have_attribute("aria-pressed", state)


def status(page: Page, element: str = "[data-reactions]") -> Any:
    """Return the widget's live region."""
    return page.locator(f"{element} [role=status]")


def service_counts(live_server: Any, article: str) -> dict[str, int]:
    """Return the counts that the service holds for an article."""
    answer = requests.get(
        f"{live_server.url}/v1/sites/demo/reactions", params={"article": article}, timeout=5
    )
    counts: dict[str, int] = answer.json()["articles"][article]["counts"]
    return {k: v for k, v in counts.items() if v}


def react(live_server: Any, article: str, reader: str, reaction: str) -> None:
    """Set another reader's reaction, as a program would (no Origin header)."""
    body = {"article": article, "reader": f"other-reader-{reader:0>8}", "reaction": reaction}
    requests.post(
        f"{live_server.url}/v1/sites/demo/reactions", json=body, timeout=5
    ).raise_for_status()
