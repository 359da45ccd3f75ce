"""Keys and the audit log in a real Chromium: an admin makes a viewer key on the Keys page,
the viewer finds no control that changes anything, and the Activity page lists both;
every page passes axe's serious checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_dashboard_browser import browser_sign_in, follow, page  # noqa: F401
from tests.widget_host import serious_violations

pytestmark = pytest.mark.browser


def test_an_admin_hands_out_a_viewer_key_and_the_log_shows_it(
    page: Any,  # noqa: F811
    browser: Any,
    make_site: Callable[..., str],
    artifacts_dir: Path,
) -> None:
    admin = make_site("demo", name="Demo News")
    browser_sign_in(page, admin)
    follow(page, "nav >> text=Keys")
    page.fill("#key-name", "intern")
    page.select_option("#key-role", "viewer")
    follow(page, "text=Make the key")
    viewer = page.text_content("[data-testid=key]")
    assert viewer and viewer.startswith("rk_demo_")
    assert serious_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "dashboard-keys.png"), full_page=True)

    viewers_browser = browser.new_context()  # a browser of its own: no cookie of the admin's
    other = viewers_browser.new_page()
    other.base = page.base
    browser_sign_in(other, viewer)
    for path in (
        "/dashboard/",
        "/dashboard/articles",
        "/dashboard/settings",
        "/dashboard/activity",
    ):
        other.goto(f"{page.base}{path}")
        assert other.locator("form[method=post]").count() == 1, path  # sign-out only
        assert other.locator("nav >> text=Keys").count() == 0
    rows = other.locator("tr[data-action]")
    assert rows.count() == 1 and "key.create" in (rows.first.text_content() or "")
    assert "intern" in (rows.first.text_content() or "")
    assert serious_violations(other) == []
    other.screenshot(path=str(artifacts_dir / "dashboard-activity.png"), full_page=True)
    other.goto(f"{page.base}/dashboard/settings")
    assert other.locator("[data-testid=read-only]").count() == 1
    assert other.locator(".settings :is(input, textarea, select):enabled").count() == 0
    assert serious_violations(other) == []

    # Revoked on the Keys page: the viewer's next page is the sign-in form.
    page.goto(f"{page.base}/dashboard/keys")
    follow(page, "tr[data-key=intern] >> text=Revoke")
    assert page.locator("tr[data-key=intern]").count() == 0
    other.goto(f"{page.base}/dashboard/articles")
    assert other.locator("#key").count() == 1
    viewers_browser.close()
