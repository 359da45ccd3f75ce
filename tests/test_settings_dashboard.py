"""The dashboard's Settings page and the article page's forms, in the test client."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import KEYS
from tests.test_dashboard import csrf_of, sign_in
from widget.context import get_sites
from widget.sites.settings import settings_json

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
    others = [k for k in KEYS if k != "had"]  # in their order
    assert [r["key"] for r in saved["reactions"]] == ["had", "wow", *others]
    love = saved["reactions"][2]
    assert love["label"] == "Adore" and love["labels"] == {"pt": "Amei", "fr-CA": "J'adore"}
    assert [r["key"] for r in saved["reactions"] if r["retired"]] == ["hated"]
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
    store.set_reaction("demo", "a1", READER, "love", KEYS)
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


def article_form(page: str) -> dict[str, str]:
    """Return the article page's edit form's fields as a browser without script posts them."""
    form = page[page.index('class="stack article-edit"') :]
    form = form[: form.index("</form>")]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', form)
    }


def test_the_article_page_edits_the_title_and_url_as_the_api_does(
    app: Any, client: Any, store: Any, make_site: Callable[..., str]
) -> None:
    key = make_site("demo")
    sign_in(client, key)
    store.set_reaction("demo", "a1", READER, "love", KEYS,
                       title="Old", url="https://example.com/old")  # fmt: skip
    page = client.get("/dashboard/article?article=a1").get_data(as_text=True)
    fields = article_form(page)
    assert fields["title"] == "Old" and fields["url"] == "https://example.com/old"
    fields |= {"title": "  New & <better>  ", "url": "https://example.com/new?id=1"}
    res = client.post("/dashboard/article/edit", data=fields)
    assert res.status_code == 302 and res.location.endswith("/dashboard/article?article=a1")
    api = client.get("/v1/sites/demo/article?article=a1",
                     headers={"Authorization": f"Bearer {key}"}).get_json()  # fmt: skip
    assert api["title"] == "New & <better>" and api["url"] == "https://example.com/new?id=1"
    page = client.get("/dashboard/article?article=a1").get_data(as_text=True)
    assert "Saved the title and URL." in page and "New &amp; &lt;better&gt;" in page
    # The title index moved with it: a search finds the new title, not the old one.
    assert "article=a1" in client.get("/dashboard/articles?q=better").get_data(as_text=True)
    assert "article=a1" not in client.get("/dashboard/articles?q=Old").get_data(as_text=True)
    # Emptying a field removes it, as null does in the API.
    res = client.post("/dashboard/article/edit", data=article_form(page) | {"url": " "})
    assert res.status_code == 302
    record = store.articles.record("demo", "a1", ("love",))
    assert record.title == "New & <better>" and record.url is None


@pytest.mark.parametrize(
    ("field", "typed", "error"),
    [
        ("url", "javascript:alert(1)", "The URL must be an http(s) URL"),
        ("url", "https://exa mple.com/", "The URL must be an http(s) URL"),
        ("title", "t" * 301, "The title must be a string of at most 300 characters"),
    ],
)
def test_a_refused_title_or_url_is_shown_by_its_field_as_typed_and_saves_nothing(
    client: Any, store: Any, make_site: Callable[..., str], field: str, typed: str, error: str
) -> None:
    sign_in(client, make_site("demo"))
    store.set_reaction("demo", "a1", READER, "love", ("love",), title="Old",
                       url="https://example.com/old")  # fmt: skip
    fields = article_form(client.get("/dashboard/article?article=a1").get_data(as_text=True))
    other = "url" if field == "title" else "title"
    fields |= {field: typed, other: "https://example.com/valid-too"}
    res = client.post("/dashboard/article/edit", data=fields)
    assert res.status_code == 400
    page = res.get_data(as_text=True)
    found = re.search(rf'<p class="field-error" id="edit-{field}-error">([^<]*)</p>', page)
    assert found and found.group(1).startswith(error), page
    assert f'aria-describedby="edit-help edit-{field}-error" aria-invalid="true"' in page
    assert article_form(page)[field] == typed  # kept as typed
    assert f"edit-{other}-error" not in page
    record = store.articles.record("demo", "a1", ("love",))
    assert (record.title, record.url) == ("Old", "https://example.com/old")  # nothing saved


def test_the_edit_form_needs_its_csrf_token_and_an_article_with_counts(
    client: Any, store: Any, make_site: Callable[..., str]
) -> None:
    fields = {"article": "a1", "title": "Forged", "url": ""}
    res = client.post("/dashboard/article/edit", data=fields | {"csrf": "x"})
    assert res.status_code == 302 and res.location.endswith("/dashboard/")  # signed out
    sign_in(client, make_site("demo"))
    store.set_reaction("demo", "a1", READER, "love", ("love",), title="Old")
    fields = article_form(client.get("/dashboard/article?article=a1").get_data(as_text=True))
    res = client.post("/dashboard/article/edit", data=fields | {"csrf": "x", "title": "Forged"})
    assert res.status_code == 302
    assert store.articles.record("demo", "a1", ("love",)).title == "Old"
    res = client.post("/dashboard/article/edit", data=fields | {"article": "nobody"})
    assert res.status_code == 404
    assert store.articles.record("demo", "nobody", ("love",)) is None
    res = client.post("/dashboard/article/edit", data=fields)  # unchanged
    assert res.status_code == 302
    assert "Nothing changed." in client.get(res.location).get_data(as_text=True)
