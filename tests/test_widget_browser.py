"""The widget (static/embed.js) in a real Chromium, as a guest on another origin's page.

The host pages come from a loopback server of their own (another port, so another origin
than the service) and are sent with a strict Content-Security-Policy: only the service may
provide scripts and answer fetches, nothing else is allowed (no inline script or style).
Every page records page errors, console errors and CSP violations, and a test fails on any
it did not expect.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect

from widget.context import get_sites
from widget.redis_server import free_port

pytestmark = pytest.mark.browser

LABELS = ["Love It", "Like It", "Want It", "Had It", "Hated It"]
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

    def add(self, path: str, body: str, script_from: str, connect_to: str) -> str:
        """Serve a page at path under a CSP that trusts only the given origins; return its URL."""
        csp = f"default-src 'none'; script-src {script_from}; connect-src {connect_to}"
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
    for key, label in zip(("love", "like", "want", "had", "hated"), LABELS, strict=True):
        n = counts.get(key, 0)
        share = int(100 * n / total + 0.5) if total else 0  # Math.round
        expect(button(page, key, element).locator("[data-count]")).to_have_text(str(n))
        expect(button(page, key, element)).to_have_attribute(
            "aria-label", f"{label}, {n}, {share}%"
        )


def expect_pressed(page: Page, pressed: str | None, element: str = "[data-reactions]") -> None:
    """Wait until exactly the given reaction's button is pressed (none for None)."""
    for key in ("love", "like", "want", "had", "hated"):
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


# -- the tests ------------------------------------------------------------------------------


def test_a_reader_reacts_switches_withdraws_and_finds_the_choice_after_a_reload(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched], live_server: Any
) -> None:
    react(live_server, "sony", "1", "love")
    react(live_server, "sony", "2", "love")
    react(live_server, "sony", "3", "hated")
    w = open_page(make_page(widget("sony", "w1", title="Sony flip-flops")))
    page = w.page
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    expect(page.locator("[data-reactions] button")).to_have_count(5)
    for key, label in zip(("love", "like", "want", "had", "hated"), LABELS, strict=True):
        expect(button(page, key)).to_contain_text(label)
    expect_counts(page, {"love": 2, "hated": 1})
    expect(button(page, "love")).to_contain_text("67%")
    expect_pressed(page, None)
    # Its own styles apply under the page's CSP (a plain button has the default cursor).
    expect(button(page, "love")).to_have_css("cursor", "pointer")
    page.evaluate(LISTEN_FOR_CHANGES)

    button(page, "love").click()
    expect_pressed(page, "love")
    expect_counts(page, {"love": 3, "hated": 1})
    expect(status(page)).to_have_text("You chose Love It.")

    button(page, "like").click()  # switching moves one count
    expect_pressed(page, "like")
    expect_counts(page, {"love": 2, "like": 1, "hated": 1})
    expect(status(page)).to_have_text("You chose Like It.")

    button(page, "like").click()  # the pressed button withdraws
    expect_pressed(page, None)
    expect_counts(page, {"love": 2, "hated": 1})
    expect(status(page)).to_have_text("Reaction removed.")

    button(page, "hated").click()
    expect_counts(page, {"love": 2, "hated": 2})
    expect(status(page)).to_have_text("You chose Hated It.")
    assert service_counts(live_server, "sony") == {"love": 2, "hated": 2}

    changes = page.evaluate("window.changes")
    assert [c["detail"]["reaction"] for c in changes] == ["love", "like", None, "hated"]
    assert all(c["bubbles"] and c["composed"] and c["target"] == "w1" for c in changes)
    assert changes[-1]["detail"] == {
        "site": "demo",
        "article": "sony",
        "reaction": "hated",
        "counts": {"love": 2, "like": 0, "want": 0, "had": 0, "hated": 2},
    }
    # Simple requests only: text/plain POSTs, no preflight, no cookies anywhere.
    assert len(w.posts()) == 4
    assert all(r.headers["content-type"].startswith("text/plain") for r in w.posts())
    sent = json.loads(w.posts()[0].post_data)
    assert sent["title"] == "Sony flip-flops" and sent["url"] == page.url
    assert not [r for r in w.requests if r.method == "OPTIONS"]
    assert page.context.cookies() == []
    token = page.evaluate("localStorage.getItem('reactions:reader')")
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token)

    page.reload()
    expect_pressed(page, "hated")
    expect_counts(page, {"love": 2, "hated": 2})
    assert w.count_gets() == 2  # one per load, never trusted from a cache
    reloaded = [r for r in w.requests if r.method == "GET" and "/v1/sites/" in r.url][-1]
    # Within 10 minutes of a change the reload asks as this reader, and no cache keeps it.
    assert f"reader={token}" in reloaded.url
    answer = reloaded.response()
    assert answer and answer.headers["cache-control"] == "private, no-store"


def test_the_page_names_the_article_unless_the_element_does(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched], live_server: Any
) -> None:
    canonical = '<link rel="canonical" href="https://news.example/tech/sony?utm=x">'
    bare = '<div data-reactions data-site="demo" id="bare"></div>'
    bad = '<div data-reactions data-site="Not A Site" id="bad"></div>'
    w = open_page(make_page(bare + bad, head=canonical))
    page = w.page
    expect_counts(page, {}, "#bare")
    button(page, "had", "#bare").click()
    expect(status(page, "#bare")).to_have_text("You chose Had It.")
    sent = json.loads(w.posts()[0].post_data)
    assert sent["article"] == "/tech/sony"
    assert sent["title"] == "Sony flip-flops on smartphone strategy"
    assert sent["url"] == "https://news.example/tech/sony?utm=x"
    assert service_counts(live_server, "/tech/sony") == {"had": 1}
    # A bad element is left alone, and does not spoil the others' counts request.
    assert page.locator("#bad").evaluate("el => el.shadowRoot") is None
    assert any("bad data-site" in m for m in w.warnings)
    # Once the page fixes it, Reactions.scan() mounts it.
    page.evaluate("document.getElementById('bad').dataset.site = 'demo'")
    page.evaluate("window.Reactions.scan()")
    expect_counts(page, {"had": 1}, "#bad")

    w = open_page(make_page(bare))  # no canonical link: the page's own path and URL
    expect_counts(w.page, {}, "#bare")
    button(w.page, "want", "#bare").click()
    expect(status(w.page, "#bare")).to_have_text("You chose Want It.")
    sent = json.loads(w.posts()[0].post_data)
    assert sent["article"] == urlsplit(w.page.url).path
    assert sent["url"] == w.page.url


def test_two_readers_see_each_others_reactions(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched]
) -> None:
    url = make_page(widget("two-readers"))
    alice = open_page(url).page
    expect_counts(alice, {})
    button(alice, "want").click()
    expect(status(alice)).to_have_text("You chose Want It.")

    bob = open_page(url).page  # another profile: another reader token
    expect_counts(bob, {"want": 1})
    expect_pressed(bob, None)
    button(bob, "want").click()
    expect_counts(bob, {"want": 2})
    expect(status(bob)).to_have_text("You chose Want It.")

    alice.reload()
    expect_counts(alice, {"want": 2})
    expect_pressed(alice, "want")
    assert alice.evaluate("localStorage.getItem('reactions:reader')") != bob.evaluate(
        "localStorage.getItem('reactions:reader')"
    )


@pytest.mark.parametrize(("widgets", "gets"), [(20, 1), (150, 2)])
def test_every_widget_on_a_page_shares_one_counts_request_per_hundred(
    site: str,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
    live_server: Any,
    widgets: int,
    gets: int,
) -> None:
    react(live_server, "article-7", "1", "had")
    body = "".join(widget(f"article-{i}", f"w{i}") for i in range(widgets))
    w = open_page(make_page(body))
    expect_counts(w.page, {"had": 1}, "#w7")
    for i in (0, widgets - 1):
        expect_counts(w.page, {}, f"#w{i}")
    assert w.count_gets() == gets
    # What the page costs in requests to the service: the script and the counts.
    assert len(w.requests) == 1 + gets
    # No globals but window.Reactions: compare with the same page without the script.
    names = set(w.page.evaluate("Object.getOwnPropertyNames(window)"))
    bare = open_page(make_page(body, script=False)).page
    assert names - set(bare.evaluate("Object.getOwnPropertyNames(window)")) == {"Reactions"}


def test_widgets_added_later_are_mounted_once(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched], live_server: Any
) -> None:
    react(live_server, "later", "1", "like")
    w = open_page(make_page(widget("first") + '<div id="slot"></div>'))
    page = w.page
    expect_counts(page, {}, "[data-article=first]")

    # A single-page app renders a widget: the MutationObserver mounts it by itself.
    page.evaluate(
        """() => {
        const el = document.createElement('div');
        el.id = 'added';
        el.dataset.reactions = '';
        el.dataset.site = 'demo';
        el.dataset.article = 'later';
        document.getElementById('slot').append(el);
    }"""
    )
    expect_counts(page, {"like": 1}, "#added")

    # An element that becomes a widget in place is mounted by Reactions.scan().
    page.evaluate(
        """() => {
        const el = document.createElement('div');
        el.id = 'scanned';
        el.dataset.site = 'demo';
        el.dataset.article = 'later';
        document.body.append(el);
    }"""
    )
    expect(page.locator("#scanned button")).to_have_count(0)
    page.evaluate("document.getElementById('scanned').toggleAttribute('data-reactions')")
    page.evaluate("window.Reactions.scan()")
    expect_counts(page, {"like": 1}, "#scanned")
    assert w.count_gets() == 3

    # Mounting twice is harmless: scan again, and load the script a second time.
    page.evaluate("window.Reactions.scan()")
    page.evaluate(
        """(src) => new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = src;
        script.onload = resolve;
        script.onerror = reject;
        document.head.append(script);
    })""",
        f"{live_server.url}/static/embed.js?again",
    )
    button(page, "like", "#scanned").click()
    expect(status(page, "#scanned")).to_have_text("You chose Like It.")
    for element in ("[data-article=first]", "#added", "#scanned"):
        expect(page.locator(f"{element} button")).to_have_count(5)
        expect(page.locator(f"{element} h2")).to_have_count(1)
    assert w.count_gets() == 3
    assert len(w.posts()) == 1


def test_the_keyboard_reaches_and_presses_every_button(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched]
) -> None:
    page = open_page(make_page(widget("keys"))).page
    expect_counts(page, {})
    page.keyboard.press("Tab")
    expect(button(page, "love")).to_be_focused()
    outline = button(page, "love").evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline == "solid"  # focus is visible
    page.keyboard.press("Enter")
    expect_pressed(page, "love")
    expect(status(page)).to_have_text("You chose Love It.")
    page.keyboard.press("Tab")
    expect(button(page, "like")).to_be_focused()
    page.keyboard.press("Space")
    expect_pressed(page, "like")
    expect_counts(page, {"like": 1})
    expect(status(page)).to_have_text("You chose Like It.")


def test_fast_clicks_show_at_once_and_send_one_request_at_a_time(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched], live_server: Any
) -> None:
    w = open_page(make_page(widget("fast")))
    page = w.page
    expect_counts(page, {})
    held: list[Any] = []

    def hold_the_first_post(route: Any) -> None:
        if route.request.method == "POST" and not held:
            held.append(route)  # answered later: the service is slow
        else:
            route.continue_()

    page.route(re.compile(r"/v1/sites/demo/reactions$"), hold_the_first_post)
    for key in ("love", "like", "hated", "hated", "want", "love"):
        button(page, key).click()
    # Every click shows at once, while the first POST is still on its way.
    expect_pressed(page, "love")
    expect_counts(page, {"love": 1})
    assert len(held) == 1 and len(w.posts()) == 1
    held[0].continue_()
    expect(status(page)).to_have_text("You chose Love It.")
    expect_pressed(page, "love")
    assert len(w.posts()) == 2  # the first click and the last intent, not six
    assert service_counts(live_server, "fast") == {"love": 1}


def test_a_refused_click_rolls_back_and_says_so(
    site: str,
    app: Any,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
    live_server: Any,
) -> None:
    react(live_server, "refused", "1", "love")
    w = open_page(make_page(widget("refused")))
    page = w.page
    expect_counts(page, {"love": 1})
    w.allow = NETWORK_ERRORS
    # The publisher takes this page's origin off the site while the page is open.
    with app.app_context():
        get_sites().set_origins("demo", ["https://elsewhere.example"])
    button(page, "like").click()
    expect(status(page)).to_have_text(NOT_SAVED)
    expect_pressed(page, None)
    expect_counts(page, {"love": 1})
    assert service_counts(live_server, "refused") == {"love": 1}
    assert any("[reactions]" in m for m in w.warnings)


def test_a_service_that_is_down_or_broken_is_reported_quietly(
    host: HostPages, site: str, make_page: Callable[..., str], open_page: Callable[..., Watched]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    body = widget("down", "down", api=closed) + widget("broken", "broken", api=host.origin)
    w = open_page(make_page(body, api=f"{closed} {host.origin}"))
    page = w.page
    w.allow = NETWORK_ERRORS
    for element in ("#down", "#broken"):
        expect(status(page, element)).to_have_text(UNAVAILABLE)
        expect(page.get_by_role("heading", name=HEADING)).to_have_count(2)
        expect(page.locator(f"{element} button")).to_have_count(5)
        expect(page.locator(f"{element} button:disabled")).to_have_count(5)
    assert len([m for m in w.warnings if m.startswith("[reactions]")]) == 2


def test_blocked_storage_keeps_the_reader_in_memory(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched], live_server: Any
) -> None:
    page = open_page(make_page(widget("no-storage")), init=BLOCK_STORAGE).page
    expect_counts(page, {})
    button(page, "love").click()
    expect(status(page)).to_have_text("You chose Love It.")
    button(page, "had").click()  # the same reader switches, rather than a new one adding
    expect(status(page)).to_have_text("You chose Had It.")
    expect_counts(page, {"had": 1})
    assert service_counts(live_server, "no-storage") == {"had": 1}


# -- the demo pages, as a person sees them -------------------------------------------------


@pytest.fixture
def demo_site(make_site: Callable[..., str]) -> str:
    """Create the site 'demo' the way the run command does: embeddable anywhere."""
    make_site("demo")
    return "demo"


def test_the_demo_article_keeps_a_choice_in_light_and_dark_with_or_without_motion(
    demo_site: str, open_page: Callable[..., Watched], live_server: Any, artifacts_dir: Path
) -> None:
    for reader, reaction in enumerate(("love", "love", "love", "like", "had")):
        react(live_server, "sony-flip-flops", str(reader), reaction)
    backgrounds, durations = {}, {}
    # The dark reader has also asked for less motion.
    for scheme, motion in (("light", "no-preference"), ("dark", "reduce")):
        page = open_page(f"{live_server.url}/demo", color_scheme=scheme, reduced_motion=motion).page
        expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
        expect(button(page, "love").locator("[data-count]")).to_have_text(re.compile(r"^\d+$"))
        backgrounds[scheme] = button(page, "like").evaluate(
            "b => getComputedStyle(b).backgroundColor"
        )
        durations[motion] = button(page, "like").evaluate(
            "b => getComputedStyle(b).transitionDuration"
        )
        page.screenshot(path=str(artifacts_dir / f"widget-demo-{scheme}.png"), full_page=True)
    assert backgrounds["light"] != backgrounds["dark"]
    assert durations == {"no-preference": "0.2s", "reduce": "0s"}  # motion only if welcome

    page = open_page(f"{live_server.url}/demo", color_scheme="light").page
    love = button(page, "love")
    expect(love.locator("[data-count]")).to_have_text(re.compile(r"^\d+$"))
    before = int(love.locator("[data-count]").inner_text())
    love.click()
    expect(status(page)).to_have_text("You chose Love It.")
    page.reload()
    expect(love).to_have_attribute("aria-pressed", "true")
    expect(love.locator("[data-count]")).to_have_text(str(before + 1))
    # data-theme overrides the reader's preference.
    page.locator("[data-reactions]").evaluate("el => el.dataset.theme = 'dark'")
    expect(button(page, "like")).to_have_css("background-color", backgrounds["dark"])


def test_the_demo_list_shows_every_widget_from_one_request(
    demo_site: str, open_page: Callable[..., Watched], live_server: Any
) -> None:
    w = open_page(f"{live_server.url}/demo/list")
    expect(w.page.locator("[data-reactions] [data-count]")).to_have_count(30)
    expect(w.page.locator("[data-reactions] button:enabled")).to_have_count(30)
    assert w.count_gets() == 1
