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
