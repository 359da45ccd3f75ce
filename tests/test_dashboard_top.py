"""The dashboard's Top page: the readers' top list, its selectors, and the widget's preview."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.test_dashboard import CSP, XSS_TITLE, react, sign_in
from tests.test_dashboard_browser import browser_sign_in

TOP = "/dashboard/top"


@pytest.fixture
def key(make_site: Callable[..., str], store: Any) -> str:
    key = make_site("demo", name="Demo News")
    for reader in range(3):
        react(store, "/loved", reader, "love", title="Loved story")
    react(store, "/liked", 0, "like", title=XSS_TITLE)
    react(store, "/untitled", 1, "love")
    return key


def test_the_top_page_lists_what_readers_get_for_the_chosen_reaction_and_days(
    client: Any, key: str
) -> None:
    assert client.get(TOP).status_code == 302  # signed out: to the sign-in form
    sign_in(client, key)
    page = client.get(TOP)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CSP
    html = page.get_data(as_text=True)
    assert html.index("Loved story") < html.index("&#34;&gt;&lt;img")  # 3, then 1; escaped
    assert XSS_TITLE not in html and "/untitled" not in html  # no title: not listed
    assert 'data-mode="top" data-reaction="total" data-days="7"' in html  # the preview
    loved = client.get(f"{TOP}?reaction=love&days=1").get_data(as_text=True)
    assert "Loved story" in loved and "&lt;img" not in loved
    assert 'data-reaction="love" data-days="1"' in loved
    # Anything else is the default list, never an error.
    for query in ("?reaction=nope&days=99", "?days=" + "9" * 5000, "?days=-1"):
        odd = client.get(TOP + query)
        assert odd.status_code == 200 and 'data-reaction="total" data-days="7"' in odd.get_data(
            as_text=True
        )


def test_a_hidden_list_is_said_so(client: Any, key: str) -> None:
    sign_in(client, key)
    auth = {"Authorization": f"Bearer {key}"}
    body = {"visibility": "publisher_only"}
    assert client.patch("/v1/sites/demo/settings", json=body, headers=auth).status_code == 200
    html = client.get(TOP).get_data(as_text=True)
    assert 'data-testid="top-hidden"' in html and "Loved story" not in html


@pytest.fixture
def page(browser_context: Any, live_server: Any) -> Iterator[Any]:
    """A page that fails on any error, CSP violation or failed request."""
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on(
        "response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " console.error(`CSP violation: ${e.violatedDirective}`));"
    )
    page.base = live_server.url
    yield page
    assert problems == []


@pytest.mark.browser
def test_the_preview_is_the_widgets_top_mode_under_the_dashboards_csp(page: Any, key: str) -> None:
    browser_sign_in(page, key)
    page.goto(f"{page.base}{TOP}?reaction=love&days=2")
    preview = page.locator("[data-testid=top-preview] [data-mode=top]")
    expect(preview.locator("li").first).to_have_text("3 Loved story")  # no URL: no link
    expect(preview.locator("h2")).to_have_text("Most loved · 2 days")
    page.select_option("#reaction", "total")
    page.fill("#days", "3")
    with page.expect_navigation():
        page.click("[data-testid=top-form] button")
    expect(preview.locator("li b")).to_have_text(["3", "1"])
