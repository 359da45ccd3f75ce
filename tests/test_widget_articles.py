"""The widget names articles as the publisher wants, in a real Chromium.

A signed site counts a new article only with the signature the publisher's CMS rendered
into ``data-signature``; and a page without ``data-url`` sends its origin and path as the
article's URL, never ``location.href`` with a reader's query string.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import expect

from tests.browser import (
    NETWORK_ERRORS,
    NOT_SAVED,
    Watched,
    button,
    expect_counts,
    expect_pressed,
    host,
    make_page,
    open_page,
    service_counts,
    site,
    status,
    widget,
)
from widget.context import get_sites
from widget.sites.settings import update_settings
from widget.sites.signing import sign, sign_page, signing_secret

__all__ = ["host", "make_page", "open_page", "site"]  # fixtures: used by name, as test arguments
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def stored(live_server: Any, key: str, article: str) -> dict[str, Any]:
    """Return the article as the publisher API shows it."""
    answer = requests.get(
        f"{live_server.url}/v1/sites/demo/article",
        params={"article": article},
        headers={"Authorization": f"Bearer {key}"},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def secret(site: str, app: Any, store: Any) -> str:
    """Turn signed_articles on for site demo; return its signing secret."""
    with app.app_context():
        sites = get_sites()
        update_settings(sites, store, "demo", {"signed_articles": True})
        signed = sites.rotate_signing_nonce("demo")
        made = signing_secret(app.config["SECRET_KEY"], signed)
    assert made is not None
    return made


def test_a_signed_site_counts_a_new_article_only_with_its_signature(
    secret: str,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
    live_server: Any,
) -> None:
    body = (
        widget("signed", "right", signature=sign(secret, "signed"))
        + widget("forged", "wrong", signature=sign(secret, "signed"))  # another article's
        + widget("bare", "none")
    )
    w = open_page(make_page(body))
    page = w.page
    w.allow = NETWORK_ERRORS  # the refused POSTs' 403s, which Chromium logs
    expect_counts(page, {}, "#right")

    button(page, "love", "#right").click()
    expect(status(page, "#right")).to_have_text("You chose Love It.")
    expect_counts(page, {"love": 1}, "#right")
    (sent,) = [json.loads(r.post_data) for r in w.posts()]
    assert sent["signature"] == sign(secret, "signed")
    assert service_counts(live_server, "signed") == {"love": 1}

    for element, article in (("#wrong", "forged"), ("#none", "bare")):
        button(page, "like", element).click()
        expect(status(page, element)).to_have_text(NOT_SAVED)
        expect_pressed(page, None, element)  # rolled back
        expect_counts(page, {}, element)
        assert service_counts(live_server, article) == {}
    answers = [r.response() for r in w.posts()[1:]]
    assert [a.status for a in answers if a] == [403, 403]
    codes = [a.json()["error"]["code"] for a in answers if a]
    assert codes == ["invalid_signature", "signature_required"]

    # An article already counted needs no signature: another reader's page has none.
    other = open_page(make_page(widget("signed", "plain")))
    button(other.page, "hated", "#plain").click()
    expect(status(other.page, "#plain")).to_have_text("You chose Hated It.")
    assert "signature" not in json.loads(other.posts()[0].post_data)
    assert service_counts(live_server, "signed") == {"love": 1, "hated": 1}


def test_the_default_url_is_the_pages_origin_and_path_without_its_query(
    site: str,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
    live_server: Any,
    app: Any,
) -> None:
    with app.app_context():
        key = get_sites().rotate_key("demo")
    page_url = make_page(widget("newsletter", "w"))
    w = open_page(f"{page_url}?token=secret&utm=x#comments")
    expect_counts(w.page, {}, "#w")
    button(w.page, "want", "#w").click()
    expect(status(w.page, "#w")).to_have_text("You chose Want It.")
    sent = json.loads(w.posts()[0].post_data)
    assert sent["url"] == page_url  # the origin and path: no token, no utm, no fragment
    assert urlsplit(sent["url"]).path == urlsplit(page_url).path
    assert "secret" not in w.posts()[0].post_data
    assert stored(live_server, key, "newsletter")["url"] == page_url

    # A canonical link with a query: the widget sends it, the service keeps it without.
    canonical = f'<link rel="canonical" href="{page_url}?utm=x&token=secret">'
    w = open_page(make_page(widget("canonical", "c"), head=canonical) + "?token=secret")
    button(w.page, "love", "#c").click()
    expect(status(w.page, "#c")).to_have_text("You chose Love It.")
    assert stored(live_server, key, "canonical")["url"] == page_url


def test_a_page_signed_with_its_title_and_url_keeps_them(
    secret: str,
    make_page: Callable[..., str],
    open_page: Callable[..., Watched],
    live_server: Any,
    host: Any,
    app: Any,
) -> None:
    with app.app_context():
        key = get_sites().rotate_key("demo")
    title, url = "Sony flip-flops on smartphone strategy", f"{host.origin}/2026/sony"
    signed = sign_page(secret, "by-page", title, url)  # docs/signed-articles.md's recipe
    body = widget("by-page", "p", title=title, url=url, signature=signed) + widget(
        "by-id", "i", title=title, url=url, signature=sign(secret, "by-id")
    )
    w = open_page(make_page(body))
    for element in ("#p", "#i"):
        button(w.page, "love", element).click()
        expect(status(w.page, element)).to_have_text("You chose Love It.")
    kept = stored(live_server, key, "by-page")
    assert (kept["title"], kept["url"]) == (title, url)
    only_id = stored(live_server, key, "by-id")  # counted, but named by nobody
    assert only_id["total"] == 1 and only_id["title"] is None and only_id["url"] is None
