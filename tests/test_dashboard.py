"""The dashboard: its security in the test client, and its use in a real Chromium."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import app_config
from tests.widget_host import serious_violations
from widget import create_app
from widget.context import get_sites
from widget.demo_data import generate
from widget.localrun import ensure_demo_site
from widget.sites import DEFAULT_REACTIONS
from widget.store import CapReached

KEYS = tuple(r.key for r in DEFAULT_REACTIONS)
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
XSS_TITLE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
XSS_ARTICLE = "<script>alert(3)</script>"


def react(store: Any, article: str, reader: int, reaction: str | None, **kw: Any) -> None:
    store.set_reaction("demo", article, f"reader-{reader:012d}", reaction, KEYS, **kw)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def sign_in(client: Any, key: str, site: str = "demo") -> Any:
    token = csrf_of(client.get("/dashboard/").get_data(as_text=True))
    return client.post("/dashboard/sign-in", data={"csrf": token, "site": site, "key": key})


# -- in the test client ------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_session_cookie(
    client: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    res = sign_in(client, key)
    assert res.status_code == 302
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" in cookie  # SESSION_COOKIE_SECURE defaults to 1; the run command sets 0
    assert "Overview" in client.get("/dashboard/").get_data(as_text=True)


def test_a_wrong_key_or_another_sites_key_does_not_sign_in(
    client: Any, make_site: Callable[..., str]
) -> None:
    make_site("demo")
    other = make_site("other")
    for key in ("rk_wrong", other, ""):
        res = sign_in(client, key)
        assert res.status_code in {400, 401}
        assert "do not match" in res.get_data(as_text=True) or res.status_code == 400
        assert client.get("/dashboard/articles").status_code == 302


def test_sign_in_without_the_csrf_token_is_refused(
    client: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    client.get("/dashboard/")
    res = client.post("/dashboard/sign-in", data={"site": "demo", "key": key})
    assert res.status_code == 302
    assert client.get("/dashboard/articles").status_code == 302  # still signed out


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/articles",
        "/dashboard/article?article=a1",
        "/dashboard/reset?article=a1",
        "/dashboard/article?article=missing",
        "/dashboard/static/dashboard.css",
        "/dashboard/static/favicon.svg",
        "/dashboard/no-such-page",
        "/dashboard/sign-out",  # a GET of a POST-only route: 405
    ],
)
def test_every_page_sends_the_security_headers(
    client: Any, make_site: Callable[..., str], store: Any, path: str
) -> None:
    sign_in(client, make_site("demo"))
    react(store, "a1", 1, "love")
    res = client.get(path)
    assert res.status_code in {200, 404, 405}
    assert res.headers["Content-Security-Policy"] == CSP
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["Referrer-Policy"] == "same-origin"
    html = res.get_data(as_text=True)
    res.close()
    if "/static/" in path:
        return
    assert res.headers["Cache-Control"] == "no-store"
    assert " style=" not in html and "<style" not in html  # the CSP would block them
    assert "<script" not in html


def test_signed_out_pages_send_you_to_the_sign_in_form(client: Any) -> None:
    for path in ("/dashboard/articles", "/dashboard/article?article=a", "/dashboard/export.csv"):
        res = client.get(path)
        assert res.status_code == 302
        assert res.headers["Location"].endswith("/dashboard/")
    assert "Sign in" in client.get("/dashboard/").get_data(as_text=True)


def test_a_rotated_key_ends_the_session(
    client: Any, app: Any, make_site: Callable[..., str]
) -> None:
    sign_in(client, make_site("demo"))
    assert client.get("/dashboard/articles").status_code == 200
    with app.app_context():
        get_sites().rotate_key("demo")
    assert client.get("/dashboard/articles").status_code == 302


def test_reset_needs_the_csrf_token(client: Any, make_site: Callable[..., str], store: Any) -> None:
    sign_in(client, make_site("demo"))
    react(store, "a1", 1, "love")
    page = client.get("/dashboard/reset?article=a1").get_data(as_text=True)
    assert "Reset the article" in page
    for token in (None, "forged", csrf_of(page)[:-1]):
        data = {"article": "a1"} | ({"csrf": token} if token else {})
        client.post("/dashboard/reset", data=data)
        assert store.get_tallies("demo", ["a1"], KEYS)["a1"].total == 1
    client.post("/dashboard/reset", data={"article": "a1", "csrf": csrf_of(page)})
    assert store.get_tallies("demo", ["a1"], KEYS)["a1"].total == 0


def test_titles_are_escaped_and_only_http_urls_are_links(
    client: Any, make_site: Callable[..., str], store: Any
) -> None:
    sign_in(client, make_site("demo"))
    react(store, XSS_ARTICLE, 1, "love", title=XSS_TITLE, url="javascript:alert(4)")
    react(store, "good", 1, "love", title="Good", url="https://example.com/good")
    for path in (
        "/dashboard/",
        "/dashboard/articles",
        f"/dashboard/article?article={XSS_ARTICLE}",
        f"/dashboard/reset?article={XSS_ARTICLE}",
        "/dashboard/articles?q=%3Cscript%3E",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html and "<img" not in html, path
        assert 'href="javascript:' not in html
    good = client.get("/dashboard/article?article=good").get_data(as_text=True)
    assert 'href="https://example.com/good" rel="noopener noreferrer nofollow"' in good


def test_the_overview_shows_what_the_ballot_stuffing_cap_refused(
    client: Any, make_site: Callable[..., str], store: Any
) -> None:
    sign_in(client, make_site("demo"))
    html = client.get("/dashboard/").get_data(as_text=True)
    assert ">0 refused by the cap in 30 days<" in html
    # Rate limits are off in the tests' app: the budget of new articles is off with them.
    assert "The site may hold 1,000,000 articles; no address has a budget" in html
    for reader in range(4):  # one address, four fresh tokens, a cap of one
        with contextlib.suppress(CapReached):
            react(store, "a1", reader, "love", address="addr-1", cap=1)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert ">3 refused by the cap in 30 days<" in html
    assert "The ballot-stuffing cap refused 3 new reactions in these 30 days" in html
    assert "Love It +1; 3 refused by the cap</title>" in html  # today's bar, on hover


def limited_app(redis_server: Any) -> tuple[Any, str]:
    """Return an app with rate limits on, 3 articles a site, 2 new a day an address; its key."""
    app = create_app(app_config(redis_server, RATELIMIT_ENABLED=True, MAX_ARTICLES_PER_SITE=3,
                                NEW_ARTICLES_PER_ADDRESS_PER_DAY=2))  # fmt: skip
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    return app, key


def refuse_new_articles(client: Any) -> None:
    """Have limited_app's site refuse one new article by each rule."""

    def post(article: str, address: str) -> int:
        body = {
            "article": article,
            "reader": f"reader-{address.replace('.', '-')}-{article}",
            "reaction": "love",
        }
        env = {"REMOTE_ADDR": address}
        return int(client.post("/v1/sites/demo/reactions", json=body, environ_base=env).status_code)

    assert [post(a, "10.0.0.1") for a in ("a", "b", "c")] == [200, 200, 429]  # its budget
    assert [post(a, "10.0.0.2") for a in ("c", "d")] == [200, 403]  # the site's ceiling


def test_the_overview_shows_the_new_articles_refused(redis_server: Any, redis_client: Any) -> None:
    app, key = limited_app(redis_server)
    client = app.test_client()
    sign_in(client, key)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert ">0 new articles refused in 30 days<" in html
    assert "No new article was refused in these 30 days." in html
    assert "The site may hold 3 articles; one address may start 2 new articles a day." in html
    refuse_new_articles(client)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert ">2 new articles refused in 30 days<" in html
    assert (
        "New articles refused in these 30 days: 1 because the site held as many articles as it "
        "may, 1 because one address had started as many new articles that day as it may." in html
    )


def test_the_dashboard_export_matches_the_api(
    client: Any, make_site: Callable[..., str], store: Any
) -> None:
    key = make_site("demo")
    sign_in(client, key)
    for i in range(7):
        react(store, f"a{i}", i, KEYS[i % 5], title=f"T{i}")
    csv_rows = list(csv.reader(io.StringIO(client.get("/dashboard/export.csv").get_data(True))))
    assert len(csv_rows) == 8
    api = client.get(
        "/v1/sites/demo/export?format=json", headers={"Authorization": f"Bearer {key}"}
    )
    assert json.loads(client.get("/dashboard/export.json").data) == json.loads(api.data)


def test_the_run_commands_demo_site_has_data_that_matches_the_widget(
    client: Any, redis_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"REDIS_URL": redis_server.url, "SECRET_KEY": "run-command-secret"}
    key = ensure_demo_site(env, tmp_path, "http://127.0.0.1:8000")
    assert key is not None and (tmp_path / "demo-api-key").read_text().strip() == key
    assert "reactions to 40 articles" in capsys.readouterr().out
    assert ensure_demo_site(env, tmp_path, "http://127.0.0.1:8000") is None  # once only
    sign_in(client, key)
    widget = client.get("/v1/sites/demo/reactions?article=sony-flip-flops").get_json()
    counts = widget["articles"]["sony-flip-flops"]["counts"]
    assert sum(counts.values()) > 0
    html = client.get("/dashboard/article?article=sony-flip-flops").get_data(as_text=True)
    assert f'data-testid="total">{sum(counts.values()):,}<' in html
    for reaction, n in counts.items():
        row = re.search(rf'<tr data-reaction="{reaction}">(.*?)</tr>', html, re.S)
        assert row and f"data-count>{n:,}<" in row.group(1)
    assert 'href="http://127.0.0.1:8000/demo"' in html  # its URL is the demo page
    assert 'rect class="r' in html  # the last 30 days have reactions to draw


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
    counts = store.site_counts("demo", KEYS)
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
    record = store.article_record("demo", "sony-flip-flops", KEYS)
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
    assert len(rows) - 1 == store.article_count("demo")
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
    assert store.article_record("demo", "sony-flip-flops", KEYS) is not None
    follow(page, "text=Reset…")
    follow(page, "button:has-text('Reset the article')")
    page.wait_for_selector(".flash")
    assert "Reset" in page.text_content(".flash")
    assert store.article_record("demo", "sony-flip-flops", KEYS) is None
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
        assert store.article_record("demo", "sony-flip-flops", KEYS) is None
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
    assert store.article_record("demo", "/tricky", KEYS).title == "Tricky"  # nothing saved
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
