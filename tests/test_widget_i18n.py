"""The widget in the reader's language, in a real Chromium: RTL, Intl numbers, label in name."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect
from widget_host import embed_page, height, serious_violations

from tests.browser import HostPages
from tests.browser import host as host  # fixtures, by name
from tests.browser import site as site
from tests.helpers import KEYS, zeros
from widget.context import get_store
from widget.sites import DEFAULT_REACTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"


def strings(lang: str) -> dict[str, str]:
    """Return the widget's strings in a language, as the language file has them."""
    loaded: dict[str, str] = json.loads((ROOT / f"static/i18n/{lang}.json").read_text())
    return loaded


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Page]]:
    """Return a function that opens a page in a fresh profile; fail on any page error."""
    contexts: list[Any] = []
    errors: list[str] = []

    def new() -> Page:
        context = browser.new_context(viewport={"width": 900, "height": 700})
        contexts.append(context)
        page: Page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        return page

    yield new
    for context in contexts:
        context.close()
    assert errors == []


def react(live_server: Any, article: str, reader: str, reaction: str) -> None:
    """Set another reader's reaction, as a program would."""
    body = {"article": article, "reader": f"other-reader-{reader:0>8}", "reaction": reaction}
    requests.post(
        f"{live_server.url}/v1/sites/demo/reactions", json=body, timeout=5
    ).raise_for_status()


COUNTS_GET = re.compile(r"/v1/sites/demo/reactions\?")


@pytest.mark.parametrize(
    ("lang", "page_lang", "attrs"),
    [("ar", "ar-EG", ""), ("ja", "ja", ""), ("pt", "en", ' data-lang="pt-BR"')],
)
def test_the_widget_speaks_the_readers_language_and_keeps_its_height(
    site: str,
    host: HostPages,
    live_server: Any,
    new_page: Callable[[], Page],
    lang: str,
    page_lang: str,
    attrs: str,
) -> None:
    for reader, reaction in enumerate(("love", "love", "like")):
        react(live_server, f"news-{lang}", str(reader), reaction)
    t = strings(lang)
    tag = "pt-BR" if attrs else page_lang  # what the widget formats numbers for
    body = f'<div data-reactions data-site="demo" data-article="news-{lang}"{attrs}></div>'
    url = embed_page(host, f"/{lang}", live_server.url, body, page_lang)
    page = new_page()
    held: list[Any] = []
    page.route(COUNTS_GET, lambda route: held.append(route))  # answered late, below
    page.goto(url)

    widget = page.locator("[data-reactions]")
    expect(page.get_by_role("heading", name=t["heading"])).to_be_visible()
    expect(widget.locator("button")).to_have_count(len(KEYS))
    expect(widget).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    page.wait_for_timeout(1000)
    before = height(page)
    assert len(held) == 1 and f"lang={tag}&" in held[0].request.url
    held[0].continue_()

    love = widget.locator("button[data-reaction=love]")
    three, two = (page.evaluate(f"new Intl.NumberFormat('{tag}').format({n})") for n in (3, 2))
    pct = page.evaluate(f"new Intl.NumberFormat('{tag}', {{style: 'percent'}}).format(2/3)")
    expect(love.locator("[data-count]")).to_have_text(two)
    assert height(page) == before  # the room was taken before the counts came
    # The accessible name starts with the visible label and holds the visible text.
    expect(love).to_have_attribute("aria-label", f"{t['love']}, {two}, {pct}")
    expect(love).to_contain_text(t["love"])
    if lang == "ar":  # right to left: the first reaction is the rightmost
        like = widget.locator("button[data-reaction=like]")
        assert love.bounding_box()["x"] > like.bounding_box()["x"]  # type: ignore[index]

    love.click()
    expect(widget.locator("[role=status]")).to_have_text(t["chose"].replace("{}", t["love"]))
    expect(love.locator("[data-count]")).to_have_text(three)
    assert height(page) == before
    assert serious_violations(page) == []
    page.screenshot(path=str(IMAGES / f"widget-{lang}.png"), clip=widget.bounding_box())


def test_a_publishers_own_label_wins_over_the_built_in_translation(
    site: str, app: Any, host: HostPages, live_server: Any, new_page: Callable[[], Page]
) -> None:
    with app.app_context():
        store = get_store()
        record = store.sites.load("demo")
        record["reactions"][0]["label"] = "Brilliant"
        store.sites.save("demo", record)
    body = '<div data-reactions data-site="demo" data-article="own-label"></div>'
    page = new_page()
    page.goto(embed_page(host, "/own-label", live_server.url, body, "ja"))
    widget = page.locator("[data-reactions]")
    expect(widget.locator("button[data-reaction=love]")).to_contain_text("Brilliant")
    expect(widget.locator("button[data-reaction=like]")).to_contain_text(strings("ja")["like"])


def fulfil(page: Page, articles: dict[str, Any], origin: str) -> None:
    """Answer the page's counts GET with articles of the test's choosing."""
    reactions = [r.as_json() for r in DEFAULT_REACTIONS]
    body = json.dumps({"site": "demo", "reactions": reactions, "articles": articles})
    page.route(
        COUNTS_GET,
        lambda route: route.fulfill(
            status=200,
            body=body,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": origin},
        ),
    )


def test_counts_are_compact_from_ten_thousand_with_the_exact_number_in_the_name(
    site: str, host: HostPages, live_server: Any, new_page: Callable[[], Page]
) -> None:
    counts = zeros(love=12345, like=9999, hated=1)
    articles = {"big": {"counts": counts, "total": 22345}}
    for lang, compact, exact in (("en", "12K", "12,345"), ("ja", "1.2万", "12,345")):
        page = new_page()
        fulfil(page, articles, host.origin)
        body = '<div data-reactions data-site="demo" data-article="big"></div>'
        page.goto(embed_page(host, f"/big-{lang}", live_server.url, body, lang))
        love = page.locator("button[data-reaction=love]")
        expect(love.locator("[data-count]")).to_have_text(compact)
        label = love.get_attribute("aria-label") or ""
        assert re.fullmatch(rf"Love It, {compact}, \S+ \({exact}\)", label)
        expect(page.locator("button[data-reaction=like] [data-count]")).to_have_text("9,999")
        assert serious_violations(page) == []


def test_hidden_counts_and_closed_voting(
    site: str, host: HostPages, live_server: Any, new_page: Callable[[], Page]
) -> None:
    page = new_page()
    page.add_init_script("localStorage.setItem('reactions:demo:hidden', 'like')")
    one = zeros(love=1)
    closed = {"closed": True, "counts": one, "total": 1}
    fulfil(page, {"hidden": {"hidden": True}, "closed": closed}, host.origin)
    body = (
        '<div data-reactions data-site="demo" data-article="hidden" id="h"></div>'
        '<div data-reactions data-site="demo" data-article="closed" id="c"></div>'
    )
    page.goto(embed_page(host, "/hidden-closed", live_server.url, body))
    like = page.locator("#h button[data-reaction=like]")
    expect(like).to_have_attribute("aria-pressed", "true")  # the reader's own choice shows
    expect(like).to_be_enabled()
    expect(like).to_have_attribute("aria-label", "Like It")
    assert not re.search(r"\d", page.locator("#h").inner_text())  # no number at all
    expect(page.locator("#c button:disabled")).to_have_count(len(KEYS))
    expect(page.locator("#c [role=status]")).to_have_text("Reactions are closed.")
    assert serious_violations(page) == []
