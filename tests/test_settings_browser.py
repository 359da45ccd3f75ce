"""Each door of the settings, end to end: a change made through the CLI, the publisher API
or the dashboard's Settings page shows in the real widget, in a real Chromium, afterwards.

The live server runs with SITE_CACHE_SECONDS=0, so a change shows on the next request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser import HostPages, widget
from tests.browser import host as host  # the host pages fixture, by name
from tests.helpers import KEYS
from tests.test_dashboard_browser import browser_sign_in, follow
from tests.test_dashboard_browser import page as page  # the dashboard's watched page fixture
from widget.sites import DEFAULT_REACTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READERS = [f"reader-{i:012d}" for i in range(10)]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def key(make_site: Callable[..., str]) -> str:
    """Create site demo (any origin) and return its API key."""
    return make_site("demo")


def react(live_server: Any, article: str, reader: int, reaction: str | None) -> Any:
    body = {"article": article, "reader": READERS[reader], "reaction": reaction}
    return requests.post(f"{live_server.url}/v1/sites/demo/reactions", json=body, timeout=5)


@pytest.fixture
def reacted(key: str, live_server: Any) -> str:
    """Give article a1 two loves and one hated; return the API key."""
    for reader, reaction in enumerate(("love", "love", "hated")):
        assert react(live_server, "a1", reader, reaction).status_code == 200
    return key


@pytest.fixture
def open_widget(host: HostPages, live_server: Any, browser_context: Any) -> Callable[[], Any]:
    """Return a function that opens a host page with the widget of a1 and waits for it."""
    count = iter(range(1000))

    def open_() -> Any:
        page_html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A1</title>'
            f"</head><body>{widget('a1', 'w')}"
            f'<script async src="{live_server.url}/static/embed.js"></script></body></html>'
        )
        url = host.add(f"/settings-{next(count)}", page_html, live_server.url, live_server.url)
        page = browser_context.new_page()
        page.goto(url)
        expect(page.locator("#w button").first).to_be_visible()
        # Drawn with the service's answer: the placeholder dash is gone.
        expect(page.locator("#w [data-count]").first).not_to_have_text("–")
        return page

    return open_


def labels(page: Any) -> list[str]:
    return [b.inner_text().split("\n")[1] for b in page.locator("#w button").all()]


def counts(page: Any) -> dict[str, str]:
    return {
        # A hidden count keeps its line (a no-break space, so nothing moves) but no digit.
        b.get_attribute("data-reaction"): b.locator("[data-count]").inner_text().strip()
        for b in page.locator("#w button").all()
    }


def test_the_cli_door(runner: Any, reacted: str, open_widget: Callable[[], Any]) -> None:
    changes = {"love": {"label": "Adore"}, "hated": {"retired": True}}
    patch = {"reactions": [{"key": key, **changes.get(key, {})} for key in KEYS]}
    result = runner.invoke(args=["sites", "settings", "demo", "--set", json.dumps(patch)])
    assert result.exit_code == 0, result.output
    page = open_widget()
    shown = [r for r in DEFAULT_REACTIONS if r.key != "hated"]  # hated is gone
    assert labels(page) == [{"love": "Adore"}.get(r.key, r.label) for r in shown]
    assert counts(page) == dict.fromkeys((r.key for r in shown), "0") | {"love": "2"}
    result = runner.invoke(args=["sites", "settings", "demo", "--set",
                                 '{"visibility": "publisher_only"}'])  # fmt: skip
    assert result.exit_code == 0, result.output
    page = open_widget()
    assert set(counts(page).values()) == {""}
    assert not any(c.isdigit() for c in page.locator("#w").inner_text())
    page.locator("#w button[data-reaction=like]").click()  # buttons still work, no numbers
    expect(page.locator("#w [role=status]")).to_have_text("You chose Like It.")
    expect(page.locator("#w button[data-reaction=like]")).to_have_attribute("aria-pressed", "true")
    assert not any(c.isdigit() for c in page.locator("#w").inner_text())


def test_the_api_door(reacted: str, live_server: Any, open_widget: Callable[[], Any]) -> None:
    headers = {"Authorization": f"Bearer {reacted}"}
    url = f"{live_server.url}/v1/sites/demo"
    res = requests.patch(f"{url}/settings", json={"visibility": "threshold",
                         "visibility_threshold": 4}, headers=headers, timeout=5)  # fmt: skip
    assert res.status_code == 200, res.text
    page = open_widget()
    assert set(counts(page).values()) == {""}  # 3 reactions, fewer than 4
    settings = requests.get(f"{url}/settings", headers=headers, timeout=5).json()
    settings["reactions"][1]["labels"] = {"pt": "Curti"}
    settings["reactions"].append({"key": "wow", "label": "Wow", "emoji": "😮"})
    patch = {"reactions": settings["reactions"], "visibility_threshold": 3}
    assert requests.patch(f"{url}/settings", json=patch, headers=headers, timeout=5).ok
    page = open_widget()
    assert labels(page)[-1] == "Wow"
    assert counts(page) == {**dict.fromkeys(KEYS, "0"), "love": "2", "hated": "1", "wow": "0"}
    res = requests.patch(f"{url}/article?article=a1", json={"closed": True}, headers=headers,
                         timeout=5)  # fmt: skip
    assert res.status_code == 200 and res.json()["closed"] is True
    page = open_widget()
    expect(page.locator("#w [role=status]")).to_have_text("Reactions are closed.")
    for button in page.locator("#w button").all():
        expect(button).to_be_disabled()
    assert counts(page)["love"] == "2"  # the counts still show, as the policy allows


@pytest.fixture(scope="session")
def axe_source() -> str:
    """Return axe-core's source, as the axe-playwright-python package ships it."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


def test_the_dashboard_door(
    page: Any, reacted: str, open_widget: Callable[[], Any], axe_source: str
) -> None:
    browser_sign_in(page, reacted)
    follow(page, "nav >> text=Settings")
    expect(page.locator("h1")).to_have_text("Settings")
    # The form is usable from the keyboard alone: Tab reaches every field, then Save.
    page.focus("#name")
    reached = []
    for _ in range(80):
        focused = page.evaluate("document.activeElement.name || document.activeElement.type")
        reached.append(focused)
        if focused == "submit":
            break
        page.keyboard.press("Tab")
    for name in ("origins", "visibility", "close_after_days", "r-like-label", "r-want-retired",
                 "new-key", "new-label", "submit"):  # fmt: skip
        assert name in reached, reached
    page.fill("#r-like-label", "Thumbs up")
    page.check("input[name=r-want-retired]")
    page.fill("#visibility_threshold", "none")  # refused, next to its field
    page.check("input[name=visibility][value=threshold]")
    follow(page, "button:has-text('Save settings')")
    error = page.locator("#visibility_threshold-error")
    expect(error).to_contain_text("whole number")
    expect(page.locator("#visibility_threshold")).to_have_attribute("aria-invalid", "true")
    assert page.input_value("#r-like-label") == "Thumbs up"  # kept as typed
    # The refused form's 400 is the answer this step expects.
    page.problems[:] = [p for p in page.problems if "400" not in p]
    run_axe = "axe.run(document).then(r => r.violations.map(v => [v.id, v.impact, v.nodes]))"
    # Served as if from the dashboard's own origin: its CSP allows only 'self' scripts.
    axe_url = f"{page.base}/dashboard/static/axe.min.js"
    page.route(axe_url, lambda r: r.fulfill(body=axe_source, content_type="text/javascript"))
    page.add_script_tag(url=axe_url)
    found = page.evaluate(run_axe)
    assert [v for v in found if v[1] in {"serious", "critical"}] == [], found
    page.fill("#visibility_threshold", "1")
    page.focus("#visibility_threshold")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form, as a keyboard user would
    expect(page.locator(".flash")).to_contain_text("Settings saved")
    images = ROOT / "docs" / "images"
    images.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1000, "height": 900})
    page.screenshot(path=str(images / "dashboard-settings.png"), full_page=True)
    page.add_script_tag(url=axe_url)
    found = page.evaluate(run_axe)
    assert [v for v in found if v[1] in {"serious", "critical"}] == [], found

    widget_page = open_widget()
    shown = [r for r in DEFAULT_REACTIONS if r.key != "want"]  # want is retired
    assert labels(widget_page) == [{"like": "Thumbs up"}.get(r.key, r.label) for r in shown]
    zeros = dict.fromkeys((r.key for r in shown), "0")
    assert counts(widget_page) == zeros | {"love": "2", "hated": "1"}

    # The article page closes voting; the widget turns read-only.
    page.goto(f"{page.base}/dashboard/article?article=a1")
    follow(page, "button:has-text('Close voting')")
    expect(page.locator("[data-testid=voting]")).to_contain_text("Voting is closed")
    widget_page = open_widget()
    expect(widget_page.locator("#w [role=status]")).to_have_text("Reactions are closed.")
    expect(widget_page.locator("#w button[data-reaction=love]")).to_be_disabled()
    follow(page, "button:has-text('Reopen voting')")
    widget_page = open_widget()
    expect(widget_page.locator("#w button[data-reaction=love]")).to_be_enabled()
