"""The dashboard in the test client: its security, its pages' content, its refusals shown."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import KEYS, app_config
from widget import create_app
from widget.context import get_sites
from widget.local.run import ensure_demo_site
from widget.store import CapReached

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


def test_the_secure_session_cookie_takes_the_host_prefix_and_plain_http_does_not(
    redis_server: Any, redis_client: Any
) -> None:
    from tests.conftest import app_config
    from widget import create_app

    for secure, name in ((True, "__Host-session"), (False, "session")):
        app = create_app(app_config(redis_server, SESSION_COOKIE_SECURE=secure))
        with app.app_context():
            _, key = get_sites().create(f"s{int(secure)}", "S", [])
        client = app.test_client()
        cookie = sign_in(client, key, f"s{int(secure)}").headers["Set-Cookie"]
        assert cookie.startswith(f"{name}=")
        assert ("; Secure" in cookie) is secure
        assert "; Path=/;" in cookie and "Domain" not in cookie  # what __Host- requires
        assert "Overview" in client.get("/dashboard/").get_data(as_text=True)
        app.extensions["reactions.store"].client.close()


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
    assert "The site may hold 100,000 articles; no address has a budget" in html
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
    assert (
        "The site may hold 3 articles; one address may start 2 new articles a day "
        "(an IPv6 /48, 16 for all its addresses)." in html
    )
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
        react(store, f"a{i}", i, KEYS[i % len(KEYS)], title=f"T{i}")
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
