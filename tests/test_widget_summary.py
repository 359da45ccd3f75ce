"""Listing pages: summary badges and full widgets share one counts GET, in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from test_widget_i18n import host, new_page, react, site
from widget_host import embed_page, serious_violations

from tests.browser import HostPages
from tests.helpers import KEYS
from widget.sites import DEFAULT_REACTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["host", "new_page", "site"]  # fixtures, shared


def test_thirty_badges_and_two_widgets_make_one_counts_get(
    site: str, host: HostPages, live_server: Any, new_page: Callable[[], Page]
) -> None:
    for reader, reaction in enumerate(("like", "like", "love")):
        react(live_server, "story-3", str(reader), reaction)
    badges = "".join(
        f'<li><a href="/story-{i}">Story {i}</a> <span data-reactions data-site="demo" '
        f'data-mode="summary" data-article="story-{i}" data-url="{host.origin}/story-{i}">'
        "</span></li>"
        for i in range(30)
    )
    widgets = "".join(
        f'<div data-reactions data-site="demo" data-article="story-{i}" id="w{i}"></div>'
        for i in (3, 40)
    )
    page = new_page()
    gets: list[str] = []
    page.on("request", lambda r: gets.append(r.url) if "/v1/sites/" in r.url else None)
    page.goto(embed_page(host, "/list", live_server.url, f"<ul>{badges}</ul>{widgets}"))

    badge = page.locator("[data-article=story-3] [role=img]")
    expect(badge).to_have_text("👍 3")  # the leading reaction and the total
    expect(badge).to_have_attribute("aria-label", "Reactions: 3")
    link = page.locator("[data-article=story-3][data-mode=summary] a")
    expect(link).to_have_attribute("href", f"{host.origin}/story-3")
    expect(page.locator("[data-article=story-0] [role=img]")).to_have_text("😍 0")
    expect(page.locator("#w3 button[data-reaction=like] [data-count]")).to_have_text("2")
    expect(page.locator("#w40 button:enabled")).to_have_count(len(KEYS))
    assert page.locator("[data-mode=summary] button").count() == 0  # read-only
    assert len(gets) == 1
    assert serious_violations(page) == []


def test_a_badge_on_a_site_that_hides_counts_shows_the_first_emoji_and_no_number(
    site: str, host: HostPages, live_server: Any, new_page: Callable[[], Page], runner: Any
) -> None:
    react(live_server, "story-1", "1", "like")
    result = runner.invoke(
        args=["sites", "settings", "demo", "--set", '{"visibility": "publisher_only"}']
    )
    assert result.exit_code == 0, result.output
    page = new_page()
    warnings: list[str] = []
    page.on(
        "console", lambda m: warnings.append(m.text) if m.type in ("warning", "error") else None
    )
    badge_and_widget = (
        '<span data-reactions data-site="demo" data-mode="summary" data-article="story-1">'
        '</span><div data-reactions data-site="demo" data-article="story-1" id="w"></div>'
    )
    page.goto(embed_page(host, "/list", live_server.url, badge_and_widget))

    badge = page.locator("[data-mode=summary] [role=img]")
    expect(badge).to_have_attribute("aria-label", "Reactions")  # no number to say
    assert badge.inner_text().strip() == DEFAULT_REACTIONS[0].emoji
    # The widget of the same counts GET is drawn, not "unavailable".
    expect(page.locator("#w button:enabled")).to_have_count(len(KEYS))
    assert not any(c.isdigit() for c in page.locator("#w").inner_text())
    assert [w for w in warnings if "[reactions]" in w] == []
