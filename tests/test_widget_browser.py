"""The widget (static/embed.js) in a real Chromium, as a guest on another origin's page.

The host pages (tests/browser.py) come from a loopback server of their own and are sent
with a strict Content-Security-Policy; every page records page errors, console errors and
CSP violations, and a test fails on any it did not expect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import (
    BLOCK_STORAGE,
    HEADING,
    LABELS,
    LISTEN_FOR_CHANGES,
    NETWORK_ERRORS,
    NOT_SAVED,
    UNAVAILABLE,
    HostPages,
    Watched,
    button,
    expect_counts,
    expect_pressed,
    host,
    make_page,
    open_page,
    react,
    service_counts,
    site,
    status,
    widget,
)
from tests.helpers import KEYS, zeros
from widget.context import get_sites
from widget.local.redis_server import free_port

__all__ = ["host", "make_page", "open_page", "site"]  # fixtures: used by name, as test arguments
pytestmark = pytest.mark.browser


def test_a_reader_reacts_switches_withdraws_and_finds_the_choice_after_a_reload(
    site: str, make_page: Callable[..., str], open_page: Callable[..., Watched], live_server: Any
) -> None:
    react(live_server, "sony", "1", "love")
    react(live_server, "sony", "2", "love")
    react(live_server, "sony", "3", "hated")
    w = open_page(make_page(widget("sony", "w1", title="Sony flip-flops")))
    page = w.page
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible()
    expect(page.locator("[data-reactions] button")).to_have_count(len(KEYS))
    for key, label in zip(KEYS, LABELS, strict=True):
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
        "counts": zeros(love=2, hated=2),
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
    assert w.count_gets() == 2  # one per load, revalidated rather than trusted from cache
    # Just after a change the reader asks with their token, past any shared cache.
    reloaded = [r for r in w.requests if r.method == "GET" and "/v1/sites/" in r.url][-1]
    assert f"reader={token}" in reloaded.url
    assert reloaded.response().headers["cache-control"] == "private, no-store"

    # Once that window is over, the reload asks the public URL and revalidates the copy the
    # browser cached on the first load with its ETag.
    page.evaluate("localStorage.removeItem('reactions:demo:at')")
    page.reload()
    expect_pressed(page, "hated")
    expect_counts(page, {"love": 2, "hated": 2})
    reloaded = [r for r in w.requests if r.method == "GET" and "/v1/sites/" in r.url][-1]
    assert "reader=" not in reloaded.url
    assert "if-none-match" in reloaded.all_headers()  # the cached copy's ETag


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
        expect(page.locator(f"{element} button")).to_have_count(len(KEYS))
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
        expect(page.locator(f"{element} button")).to_have_count(len(KEYS))
        expect(page.locator(f"{element} button:disabled")).to_have_count(len(KEYS))
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
