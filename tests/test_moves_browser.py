"""The dashboard's "Move or merge" form in a real Chromium: a refusal, then a merge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.test_dashboard import KEYS, react
from tests.test_dashboard_browser import browser_sign_in, follow, page  # noqa: F401 (fixture)
from tests.widget_host import serious_violations

pytestmark = pytest.mark.browser


def test_a_publisher_merges_an_old_url_into_the_new_one(
    page: Any,  # noqa: F811 (the imported fixture)
    make_site: Callable[..., str],
    store: Any,
) -> None:
    key = make_site("demo", name="Demo News")
    react(store, "/2019/sony", 1, "love", title="Sony flip-flops")
    react(store, "/2019/sony", 2, "like")
    react(store, "/reviews/sony", 1, "hated")
    browser_sign_in(page, key)
    page.goto(f"{page.base}/dashboard/article?article=/2019/sony")
    page.fill("#move-to", "/2019/sony")
    follow(page, "button:has-text('Move or merge')")
    expect(page.locator("#move-to-error")).to_contain_text("the same article")
    expect(page.locator("#move-to")).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    page.fill("#move-to", "/reviews/sony")
    follow(page, "button:has-text('Move or merge')")
    expect(page.locator(".flash")).to_contain_text("Merged '/2019/sony' into this article")
    expect(page.locator("h1")).to_have_text("Sony flip-flops")  # it had no title: it took it
    expect(page.locator("[data-testid=total]")).to_have_text("2")  # reader 1 counts once
    expect(page.locator("[data-testid=aliases]")).to_contain_text("/2019/sony")
    assert store.get_tallies("demo", ["/2019/sony"], KEYS)["/2019/sony"].total == 2
    assert serious_violations(page) == []
    # The old id can be forgotten: it becomes an id of its own again, and starts empty.
    follow(page, "button:has-text('Forget')")
    expect(page.locator(".flash")).to_contain_text("'/2019/sony' is an id of its own again")
    expect(page.locator("[data-testid=aliases]")).to_have_count(0)
    assert store.get_tallies("demo", ["/2019/sony"], KEYS)["/2019/sony"].total == 0
    assert serious_violations(page) == []
    # The refused form's 400 (its answer and Chromium's console line) was expected.
    page.problems[:] = [p for p in page.problems if "400" not in p]
