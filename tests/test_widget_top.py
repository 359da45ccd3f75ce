"""The widget's top mode (data-mode="top") in a real Chromium: links, order, language, height."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser import NETWORK_ERRORS, HostPages, Watched, make_page, open_page
from tests.browser import host as host  # fixtures, by name
from tests.browser import site as site
from tests.test_widget_i18n import strings

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["make_page", "open_page"]  # fixtures, shared

HOSTILE_TITLE = '<img src=x onerror="alert(1)"> Alpha & <b>friends</b>'


def react(live_server: Any, article: str, reader: int, reaction: str, **meta: str) -> None:
    """Count another reader's reaction, with the article's title and URL."""
    body = {"article": article, "reader": f"top-reader-{reader:08d}", "reaction": reaction, **meta}
    requests.post(
        f"{live_server.url}/v1/sites/demo/reactions", json=body, timeout=5
    ).raise_for_status()


def top(element: str, **attrs: str) -> str:
    extra = "".join(f' data-{k}="{v}"' for k, v in attrs.items())
    return f'<div data-reactions data-site="demo" data-mode="top" id="{element}"{extra}></div>'


def top_gets(page: Watched) -> list[str]:
    return [r.url for r in page.requests if "/top?" in r.url]


def test_top_lists_show_links_in_order_one_get_per_list(
    site: str,
    host: HostPages,
    live_server: Any,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
) -> None:
    for reader in range(3):
        react(live_server, "alpha", reader, "love", title=HOSTILE_TITLE, url=f"{host.origin}/alpha")
    for reader in range(2):
        react(live_server, "beta", reader, "love", title="Beta", url=f"{host.origin}/beta")
    react(live_server, "gamma", 0, "like", title="Gamma")  # no URL: its title, unlinked
    body = (
        top("loved", reaction="love", days="3")
        + top("loved-again", reaction="love", days="3", theme="dark")
        + top("all", days="4", limit="3")
        + '<div data-reactions data-site="demo" data-article="alpha" id="full"></div>'
    )
    page = open_page(make_page(body))
    items = page.page.locator("#loved li")
    expect(items.nth(1)).to_contain_text("Beta")
    expect(page.page.locator("#loved h2")).to_have_text("Most loved · 3 days")
    assert items.count() == 5  # data-limit's default: five lines, kept for the list
    link = items.nth(0).locator("a")
    expect(link).to_have_text(HOSTILE_TITLE)  # text, never markup
    expect(link).to_have_attribute("href", f"{host.origin}/alpha")
    expect(link).to_have_attribute("rel", "noopener")
    assert page.page.locator("#loved li img").count() == 0
    expect(items.nth(0).locator("b")).to_have_text("3")
    expect(items.nth(1).locator("b")).to_have_text("2")
    assert [items.nth(n).inner_text() for n in range(2, 5)] == ["", "", ""]
    expect(page.page.locator("#loved-again li").nth(0)).to_contain_text("3")
    everything = page.page.locator("#all li")
    expect(everything.nth(2)).to_contain_text("Gamma")
    expect(page.page.locator("#all h2")).to_have_text("Most reactions · 4 days")
    assert everything.nth(2).locator("a").count() == 0
    assert [everything.nth(n).locator("b").inner_text() for n in range(3)] == ["3", "2", "1"]
    # The full widget's counts GET, and one GET per distinct list: two lists, two GETs.
    expect(page.page.locator("#full button[data-reaction=love] [data-count]")).to_have_text("3")
    assert sorted(top_gets(page)) == sorted(
        [
            f"{live_server.url}/v1/sites/demo/top?reaction=love&days=3&limit=5",
            f"{live_server.url}/v1/sites/demo/top?reaction=total&days=4&limit=3",
        ]
    )
    assert page.count_gets() == 3
    # The themes: the count takes the accent of each.
    light = page.page.locator("#loved li b").first.evaluate("b => getComputedStyle(b).color")
    dark = page.page.locator("#loved-again li b").first.evaluate("b => getComputedStyle(b).color")
    assert light != dark


def test_a_top_list_speaks_the_pages_language_right_to_left_and_keeps_its_height(
    site: str,
    host: HostPages,
    live_server: Any,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
) -> None:
    react(live_server, "eins", 0, "hated", title="Eins", url=f"{host.origin}/eins")
    german = open_page(make_page(top("de", reaction="hated", days="1", lang="de")))
    expect(german.page.locator("#de li a")).to_have_text("Eins")
    heading = f"{strings('de')['top_hated']} · 1 Tag"
    expect(german.page.locator("#de h2")).to_have_text(heading)
    arabic = open_page(make_page(top("ar", days="2", limit="2", lang="ar")))
    expect(arabic.page.locator("#ar li a")).to_have_text("Eins")
    expect(arabic.page.locator("#ar")).to_have_attribute("dir", "rtl")
    expect(arabic.page.locator("#ar h2")).to_contain_text(strings("ar")["top_total"])
    one = arabic.page.evaluate("new Intl.NumberFormat('ar').format(1)")
    expect(arabic.page.locator("#ar li b")).to_have_text(one)  # as the widget formats counts
    filled = arabic.page.locator("#ar").bounding_box()
    # The same list that never fills (the service refuses it) keeps the same height.
    failed = open_page(make_page(top("ar", days="2", limit="2", lang="ar", reaction="nope")))
    failed.allow = NETWORK_ERRORS
    expect(failed.page.locator("#ar [role=status]")).to_have_text(strings("ar")["down"])
    assert failed.page.locator("#ar").bounding_box() == filled


def test_a_hidden_list_says_so_quietly(
    site: str,
    host: HostPages,
    live_server: Any,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
    runner: Any,
) -> None:
    react(live_server, "a", 0, "want", title="A")
    result = runner.invoke(
        args=["sites", "settings", "demo", "--set", '{"visibility": "publisher_only"}']
    )
    assert result.exit_code == 0, result.output
    page = open_page(make_page(top("hidden", reaction="want", days="5")))
    expect(page.page.locator("#hidden [role=status]")).to_have_text("Nothing to show yet.")
    assert page.page.locator("#hidden li a").count() == 0
