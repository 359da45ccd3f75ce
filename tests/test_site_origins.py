"""A site's allowed origins: international domain names among them are stored as browsers
send them (punycode), so they match."""

from __future__ import annotations

from typing import Any

import pytest

from widget.context import get_sites
from widget.sites import SiteError
from widget.sites.origins import normalize_origin

URL = "/v1/sites/demo/reactions"
BODY = {"article": "a1", "reader": "reader-0123456789abcdef", "reaction": "love"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://BÜCHER.example:443/", "https://xn--bcher-kva.example"),
        ("http://bücher.example:8080", "http://xn--bcher-kva.example:8080"),
        ("https://例え.テスト", "https://xn--r8jz45g.xn--zckzah"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("https://example.com", "https://example.com"),
    ],
)
def test_an_international_name_is_stored_as_punycode(given: str, stored: str) -> None:
    assert normalize_origin(given) == stored


@pytest.mark.parametrize(
    "origin", ["https://straße.example", "https://ς.example", "https://a\u200db.example"]
)
def test_a_name_browsers_and_idna2003_spell_differently_is_refused(origin: str) -> None:
    # Python's codec would store "strasse.example", which no browser sends for it.
    with pytest.raises(SiteError, match="xn--"):
        normalize_origin(origin)


def test_a_bad_international_name_is_refused() -> None:
    with pytest.raises(SiteError):
        normalize_origin("https://" + "ü" * 70 + ".example")


def test_a_browser_on_an_international_domain_is_allowed(app: Any, client: Any) -> None:
    with app.app_context():
        get_sites().create("demo", "Demo", ["https://bücher.example"])
    # A browser sends the Origin in its ASCII form.
    res = client.post(URL, json=BODY, headers={"Origin": "https://xn--bcher-kva.example"})
    assert res.status_code == 200
    assert res.headers["Access-Control-Allow-Origin"] == "https://xn--bcher-kva.example"
    res = client.post(URL, json=BODY, headers={"Origin": "https://buecher.example"})
    assert res.status_code == 403


def test_the_cli_stores_punycode(runner: Any, app: Any) -> None:
    result = runner.invoke(args=["sites", "create", "demo", "--origin", "https://bücher.example"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["sites", "set-origins", "demo", "https://bücher.example", "https://café.example"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        site = get_sites().get("demo")
    assert site is not None
    assert site.origins == ("https://xn--bcher-kva.example", "https://xn--caf-dma.example")
    result = runner.invoke(args=["sites", "set-origins", "demo", "https://straße.example"])
    assert result.exit_code != 0
    assert "xn--" in result.output
