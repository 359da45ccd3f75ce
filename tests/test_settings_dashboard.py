"""The dashboard's Settings page and its close/reopen button, in the test client."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from tests.test_dashboard import csrf_of, sign_in
from widget.context import get_sites
from widget.settings import settings_json

READER = "reader-000000000001"


def settings_of(app: Any) -> dict[str, Any]:
    with app.app_context():
        site = get_sites().get("demo")
        assert site is not None
        return settings_json(site)


def form_of(page: str) -> dict[str, str]:
    """Return the Settings form's fields as a browser without script would post them."""
    form = page[page.index('class="settings"') :]
    fields: dict[str, str] = {}
    for tag in re.finditer(r"<(input|textarea)\b([^>]*)>(?:([^<]*)</textarea>)?", form):
        attrs = dict(re.findall(r'(\w[\w-]*)(?:="([^"]*)")?', tag.group(2)))
        kind = attrs.get("type", "text")
        if kind in {"checkbox", "radio"} and "checked" not in attrs:
            continue
        value = tag.group(3) if tag.group(1) == "textarea" else attrs["value"]
        fields[attrs["name"]] = html.unescape(value)
    return fields


def test_the_page_saves_a_change_through_the_same_checks(
    app: Any, client: Any, make_site: Callable[..., str]
) -> None:
    sign_in(client, make_site("demo"))
    page = client.get("/dashboard/settings")
    assert page.status_code == 200
    fields = form_of(page.get_data(as_text=True))
    assert fields["visibility"] == "always" and fields["r-love-label"] == "Love It"
    fields |= {
        "r-love-label": "Adore",
        "r-love-labels": "pt: Amei\nfr-CA: J'adore",
        "r-hated-retired": "1",
        "r-had-position": "1",
        "new-key": "wow",
        "new-emoji": "😮",
        "new-label": "Wow",
        "new-position": "2",
        "visibility": "threshold",
        "visibility_threshold": "5",
        "close_after_days": "30",
        "origins": "https://example.com\n\nhttp://127.0.0.1:8080",
    }
    res = client.post("/dashboard/settings", data=fields)
    assert res.status_code == 302, res.get_data(as_text=True)
    saved = settings_of(app)
    assert [r["key"] for r in saved["reactions"]] == ["had", "wow", "love", "like", "want", "hated"]
    love = saved["reactions"][2]
    assert love["label"] == "Adore" and love["labels"] == {"pt": "Amei", "fr-CA": "J'adore"}
    assert saved["reactions"][-1]["retired"] is True
    assert saved["visibility"] == "threshold" and saved["visibility_threshold"] == 5
    assert saved["close_after_days"] == 30
    assert saved["origins"] == ["https://example.com", "http://127.0.0.1:8080"]
    html = client.get("/dashboard/settings").get_data(as_text=True)
    assert "Settings saved" in html and "retired</span>" in html
    # Saving the page unchanged changes nothing, and emptying the day count means never.
    fields = form_of(html) | {"close_after_days": ""}
    assert client.post("/dashboard/settings", data=fields).status_code == 302
    assert settings_of(app) == {**saved, "close_after_days": None}


def test_a_refused_change_is_shown_next_to_its_field_as_typed_and_saves_nothing(
    app: Any, client: Any, make_site: Callable[..., str]
) -> None:
    sign_in(client, make_site("demo"))
    before = settings_of(app)
    fields = form_of(client.get("/dashboard/settings").get_data(as_text=True))
    for change, field, text in (
        ({"r-like-label": "", "name": "Typed"}, "r-like-label", "must be a non-empty string"),
        ({"new-key": "Bad Key", "new-emoji": "x", "new-label": "y"}, "new-key", "a-z"),
        ({"visibility_threshold": "lots"}, "visibility_threshold", "whole number"),
        ({"origins": "example.com"}, "origins", "not an origin"),
        ({"r-love-labels": "Amei"}, "r-love-labels", "one language a line"),
        ({"r-love-labels": "p: Amei"}, "r-love-labels", "not a language tag"),
    ):
        res = client.post("/dashboard/settings", data=fields | change)
        assert res.status_code == 400
        html = res.get_data(as_text=True)
        error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
        assert error and text in error.group(1), (field, html[-3000:])
        assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
        for value in change.values():
            assert f'value="{value}"' in html or f">{value}</textarea>" in html  # as typed
        assert settings_of(app) == before


def test_the_page_needs_a_session_and_its_csrf_token(
    app: Any, client: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    assert client.get("/dashboard/settings").status_code == 302
    sign_in(client, key)
    before = settings_of(app)
    fields = form_of(client.get("/dashboard/settings").get_data(as_text=True))
    res = client.post("/dashboard/settings", data=fields | {"csrf": "forged", "name": "X"})
    assert res.status_code == 302 and settings_of(app) == before


def test_the_article_page_closes_and_reopens_voting(
    client: Any, store: Any, make_site: Callable[..., str]
) -> None:
    sign_in(client, make_site("demo"))
    store.set_reaction("demo", "a1", READER, "love", ("love", "like", "want", "had", "hated"))
    html = client.get("/dashboard/article?article=a1").get_data(as_text=True)
    assert "Voting is open." in html and "Close voting" in html
    form = {"csrf": csrf_of(html), "article": "a1", "closed": "1"}
    assert client.post("/dashboard/article/closed", data=form | {"csrf": "x"}).status_code == 302
    assert "Voting is open." in client.get("/dashboard/article?article=a1").get_data(True)
    assert client.post("/dashboard/article/closed", data=form).status_code == 302
    html = client.get("/dashboard/article?article=a1").get_data(as_text=True)
    assert "Voting is closed" in html and "Reopen voting" in html
    body = {"article": "a1", "reader": READER, "reaction": None}
    assert client.post("/v1/sites/demo/reactions", json=body).status_code == 403
    form["closed"] = "0"
    assert client.post("/dashboard/article/closed", data=form).status_code == 302
    assert client.post("/v1/sites/demo/reactions", json=body).status_code == 200
