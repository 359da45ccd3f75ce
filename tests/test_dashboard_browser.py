"""The dashboard in a real Chromium: what a publisher does, with the keyboard, on a phone."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.test_dashboard import KEYS, XSS_ARTICLE, XSS_TITLE, react
from tests.widget_host import serious_violations
from widget.cli.demo_data import generate
from widget.context import get_sites
from widget.local.run import ensure_demo_site

# -- in a real Chromium ------------------------------------------------------------------


@pytest.fixture
def demo_site(make_site: Callable[..., str], app: Any, store: Any) -> str:
    """Return the key of a demo site with months of reactions and two hostile articles."""
    key = make_site("demo", name="Demo News")
    with app.app_context():
        site = get_sites().get("demo")
    assert site is not None
    generate(store, site, articles=30, days=120, readers=80)
    react(store, XSS_ARTICLE, 1, "hated", title=XSS_TITLE, url="javascript:alert(5)")
    react(store, "/tricky", 2, "hated", title="Tricky", url="JaVaScRiPt:alert(6)")
    return key


@pytest.fixture
def page(browser_context: Any, live_server: Any) -> Iterator[Any]:
    """Return a page that records dialogs, page errors and CSP violations."""
    page = browser_context.new_page()
    page.problems = []
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
    page.on(
        "console",
        lambda m: page.problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on(
        "response",
        lambda r: page.problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.base = live_server.url
    yield page
    assert page.problems == []


def follow(page: Any, selector: str) -> None:
    """Click a link or a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def browser_sign_in(page: Any, key: str) -> None:
    page.goto(f"{page.base}/dashboard/")
    page.fill("#site", "demo")
    page.fill("#key", key)
    follow(page, "button[type=submit]")
    page.wait_for_selector("[data-testid=total]")


@pytest.mark.browser
def test_a_publisher_signs_in_sorts_searches_and_reads_an_article(
    page: Any, demo_site: str, store: Any, artifacts_dir: Path
) -> None:
    browser_sign_in(page, demo_site)
    counts = store.indexes.counts("demo", KEYS)
    assert page.text_content("[data-testid=total]") == f"{sum(counts.values()):,}"
    for key in KEYS:
        shown = page.text_content(f"tr[data-reaction={key}] [data-count]")
        assert shown == f"{counts[key]:,}"
    assert page.locator("svg.chart rect.r0").count() > 0
    follow(page, "text=90 days")
    assert page.locator("svg.chart g").count() == 90
    follow(page, "text=30 days")
    page.screenshot(path=str(artifacts_dir / "dashboard-overview.png"), full_page=True)

    follow(page, "nav >> text=Articles")
    totals = [int(t.replace(",", "")) for t in page.locator("td[data-total]").all_text_contents()]
    assert totals == sorted(totals, reverse=True) and len(totals) == 25
    follow(page, "thead >> text=Love It")
    loves = [
        int(t.replace(",", "")) for t in page.locator("td[data-reaction=love]").all_text_contents()
    ]
    assert loves == sorted(loves, reverse=True)
    assert "sort=love" in page.url
    follow(page, "thead >> text=Article")
    titles = [t.casefold() for t in page.locator("tbody a.title").all_text_contents()]
    assert titles == sorted(titles) and len(titles) == 25
    page.screenshot(path=str(artifacts_dir / "dashboard-articles.png"), full_page=True)
    follow(page, "thead >> text=Love It")
    follow(page, "text=Next page »")
    assert page.locator("tbody tr").count() > 0
    assert "cursor=" in page.url

    page.fill("#q", "SONY")
    follow(page, "form[role=search] button")
    rows = page.locator("tbody tr[data-article]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-article") == "sony-flip-flops"

    follow(page, "tbody tr[data-article] a.title")
    page.wait_for_selector("h1.article-title")
    record = store.articles.record("demo", "sony-flip-flops", KEYS)
    assert page.text_content("[data-testid=total]") == f"{record.total:,}"
    follow(page, "text=365 days")
    assert page.locator("svg.chart g").count() == 365
    follow(page, "text=90 days")
    page.screenshot(path=str(artifacts_dir / "dashboard-article.png"), full_page=True)

    follow(page, "button:has-text('Sign out')")
    page.wait_for_selector("#key")
    page.goto(f"{page.base}/dashboard/articles")
    assert page.locator("#key").count() == 1  # signed out for real


@pytest.mark.browser
def test_the_demo_pages_widget_and_the_dashboard_show_the_same_counts(
    page: Any, redis_server: Any, redis_client: Any, tmp_path: Path
) -> None:
    env = {"REDIS_URL": redis_server.url, "SECRET_KEY": "run-command-secret"}
    key = ensure_demo_site(env, tmp_path, page.base)  # what the run command does
    assert key is not None
    page.goto(f"{page.base}/demo")
    count = "[data-reactions] button[data-reaction={}] [data-count]"
    for k in KEYS:  # the widget shows "–" until its counts arrive
        expect(page.locator(count.format(k))).to_have_text(re.compile(r"^[\d,]+$"))
    widget = {k: page.text_content(count.format(k)) for k in KEYS}
    assert sum(int(n.replace(",", "")) for n in widget.values()) > 0
    browser_sign_in(page, key)
    page.goto(f"{page.base}/dashboard/article?article=sony-flip-flops")
    assert {k: page.text_content(f"tr[data-reaction={k}] [data-count]") for k in KEYS} == widget


@pytest.mark.browser
def test_hostile_titles_and_urls_are_harmless(page: Any, demo_site: str) -> None:
    browser_sign_in(page, demo_site)
    page.goto(f"{page.base}/dashboard/articles?sort=hated&q=alert")
    assert page.locator("tbody tr[data-article]").count() == 1
    assert page.text_content("a.title") == XSS_TITLE  # shown as text, not run
    follow(page, "a.title")
    page.wait_for_selector("h1.article-title")
    assert page.text_content("h1.article-title") == XSS_TITLE
    assert page.locator("img").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    page.goto(f"{page.base}/dashboard/article?article=%2Ftricky")
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert page.locator(".url-text").text_content() == "JaVaScRiPt:alert(6)"


@pytest.mark.browser
def test_export_downloads_every_article(page: Any, demo_site: str, store: Any) -> None:
    browser_sign_in(page, demo_site)
    with page.expect_download() as download:
        page.click("text=Export CSV")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert rows[0][:3] == ["article", "title", "url"]
    assert len(rows) - 1 == store.indexes.article_count("demo")
    assert download.value.suggested_filename == "demo-reactions.csv"
    with page.expect_download() as download:
        page.click("text=Export JSON")
    assert len(json.loads(Path(download.value.path()).read_text("utf-8"))) == len(rows) - 1


@pytest.mark.browser
def test_reset_asks_first_then_removes_the_article(page: Any, demo_site: str, store: Any) -> None:
    browser_sign_in(page, demo_site)
    page.goto(f"{page.base}/dashboard/article?article=sony-flip-flops")
    follow(page, "text=Reset…")
    page.wait_for_selector("text=Reset this article?")
    follow(page, "text=Cancel")  # changing your mind changes nothing
    assert store.articles.record("demo", "sony-flip-flops", KEYS) is not None
    follow(page, "text=Reset…")
    follow(page, "button:has-text('Reset the article')")
    page.wait_for_selector(".flash")
    assert "Reset" in page.text_content(".flash")
    assert store.articles.record("demo", "sony-flip-flops", KEYS) is None
    page.fill("#q", "sony")
    follow(page, "form[role=search] button")
    assert page.locator("tbody tr[data-article]").count() == 0


@pytest.mark.browser
def test_it_fits_a_phone(
    browser: Any, live_server: Any, demo_site: str, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    try:
        page = context.new_page()
        page.base = live_server.url
        browser_sign_in(page, demo_site)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        page.screenshot(path=str(artifacts_dir / "dashboard-phone.png"), full_page=True)
        page.goto(f"{live_server.url}/dashboard/articles")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the table scrolls
    finally:
        context.close()


@pytest.mark.browser
def test_every_task_works_with_javascript_off(
    browser: Any, live_server: Any, demo_site: str, store: Any
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.base = live_server.url
        browser_sign_in(page, demo_site)
        follow(page, "text=365 days")
        assert "days=365" in page.url
        follow(page, "nav >> text=Articles")
        follow(page, "thead >> text=Hated It")
        hated = [
            int(t.replace(",", ""))
            for t in page.locator("td[data-reaction=hated]").all_text_contents()
        ]
        assert hated == sorted(hated, reverse=True)
        page.fill("#q", "sony")
        follow(page, "form[role=search] button")
        follow(page, "tbody tr[data-article] a.title")
        assert page.locator("svg.chart").count() == 1
        page.fill("#edit-title", "Sony, renamed")
        follow(page, "button:has-text('Save title and URL')")
        expect(page.locator("h1")).to_have_text("Sony, renamed")
        follow(page, "text=Reset…")
        follow(page, "button:has-text('Reset the article')")
        assert "Reset" in page.text_content(".flash")
        assert store.articles.record("demo", "sony-flip-flops", KEYS) is None
        follow(page, "button:has-text('Sign out')")
        assert page.locator("#key").count() == 1
    finally:
        context.close()


@pytest.mark.browser
def test_the_article_page_edits_its_title_and_url_from_the_keyboard(
    page: Any, demo_site: str, store: Any
) -> None:
    browser_sign_in(page, demo_site)
    page.goto(f"{page.base}/dashboard/article?article=%2Ftricky")
    assert page.input_value("#edit-url") == "JaVaScRiPt:alert(6)"  # shown, never a link
    page.focus("#edit-title")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Tricky, fixed")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "edit-url"
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("https://exa mple.com/")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form, as a keyboard user would
    expect(page.locator("#edit-url-error")).to_contain_text("The URL must be an http(s) URL")
    expect(page.locator("#edit-url")).to_have_attribute("aria-invalid", "true")
    assert page.input_value("#edit-title") == "Tricky, fixed"  # kept as typed
    assert store.articles.record("demo", "/tricky", KEYS).title == "Tricky"  # nothing saved
    assert serious_violations(page) == []
    page.fill("#edit-url", "https://example.com/tricky")
    page.focus("#edit-url")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Saved the title and URL.")
    expect(page.locator("h1")).to_have_text("Tricky, fixed")
    link = page.locator("a:has-text('Open the article')")
    expect(link).to_have_attribute("href", "https://example.com/tricky")
    assert serious_violations(page) == []
    # The refused form's 400 (its answer and Chromium's console line) was expected.
    page.problems[:] = [p for p in page.problems if "400" not in p]
