"""The demo pages in a real Chromium, as a person sees them (see tests/browser.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import HEADING, Watched, button, open_page, react, status
from tests.helpers import KEYS

__all__ = ["open_page"]  # fixtures: used by name, as test arguments
pytestmark = pytest.mark.browser


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
    expect(w.page.locator("[data-reactions] [data-count]")).to_have_count(6 * len(KEYS))
    expect(w.page.locator("[data-reactions] button:enabled")).to_have_count(6 * len(KEYS))
    assert w.count_gets() == 1
