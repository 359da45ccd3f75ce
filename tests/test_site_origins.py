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


# -- every origin, as a publisher sets it through the API ---------------------------------

SETTINGS = "/v1/sites/demo/settings"


@pytest.fixture
def publisher(app: Any, client: Any) -> dict[str, str]:
    """Return the headers of the publisher of site demo (no origins yet)."""
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("HTTPS://Example.COM:443/", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("https://example.com:80", "https://example.com:80"),
        ("http://example.com:443", "http://example.com:443"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("  https://example.com  ", "https://example.com"),
    ],
)
def test_an_origin_is_stored_as_browsers_send_it(
    client: Any, publisher: dict[str, str], given: str, stored: str
) -> None:
    res = client.patch(SETTINGS, json={"origins": [given]}, headers=publisher)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["origins"] == [stored]
    # A browser on that origin is allowed, byte for byte.
    answer = client.post(URL, json=BODY, headers={"Origin": stored})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == stored


@pytest.mark.parametrize(
    "origin",
    [
        "ftp://example.com",
        "javascript://example.com",
        "example.com",
        "https://",
        "https:///",
        "https://example.com/path",
        "https://example.com?q=1",
        "https://example.com#top",
        "https://user@example.com",
        "https://user:secret@example.com",
        "https://:secret@example.com",
        "https://example.com:99999",
        "https://example.com:port",
    ],
)
def test_what_is_not_an_origin_is_400_and_changes_nothing(
    client: Any, publisher: dict[str, str], origin: str
) -> None:
    kept = client.patch(SETTINGS, json={"origins": ["https://kept.example"]}, headers=publisher)
    assert kept.status_code == 200
    res = client.patch(SETTINGS, json={"origins": [origin]}, headers=publisher)
    assert res.status_code == 400 and res.headers["Content-Type"] == "application/json"
    assert res.get_json()["error"]["code"] == "bad_request"
    assert client.get(SETTINGS, headers=publisher).get_json()["origins"] == ["https://kept.example"]
