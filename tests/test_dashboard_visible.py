"""Invisible characters (Unicode Cf) in ids and titles are shown, never drawn as nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tests.helpers import react
from tests.test_dashboard import sign_in
from widget.dashboard.visible import visible, visible_text

LOOKALIKE = "/news\u200b"  # a zero-width space: "/news" to the eye
OVERRIDE = "Price \u202e01$\u202c"  # a right-to-left override reverses what follows


def test_a_lookalike_id_and_an_override_in_a_title_are_shown_as_boxes(
    client: Any, store: Any, make_site: Callable[..., str]
) -> None:
    sign_in(client, make_site("demo"))
    react(store, "reader-000000000001", "love", "/news")
    react(store, "reader-000000000002", "love", LOOKALIKE)
    react(store, "reader-000000000003", "love", "/price", title=OVERRIDE)
    react(store, "reader-000000000004", "love", "/family", title="Family 👨\u200d👩\u200d👧")
    page = client.get("/dashboard/articles").get_data(as_text=True)
    text = re.sub(r"<[^>]*>", "", page)  # what is drawn (an attribute may hold the raw id)
    assert "\u200b" not in text and "\u202e" not in text and "\u202c" not in text
    rows = re.findall(r'class="title"[^>]*>(.*?)</a>', page)
    assert (
        "/news" in rows
        and '/news<span class="cf" title="invisible character U+200B">U+200B</span>' in rows
    )
    assert 'Price <span class="cf" title="invisible character U+202E">U+202E</span>01$' in page
    assert "Family 👨\u200d👩\u200d👧" in page  # a title keeps its joiners
    one = client.get(f"/dashboard/article?article={quote(LOOKALIKE)}").get_data(as_text=True)
    assert "<title>/news[U+200B]" in one and '<span class="cf"' in one


def test_the_filters_escape_html_and_leave_plain_text_alone() -> None:
    assert str(visible("<b>&")) == "&lt;b&gt;&amp;"
    assert str(visible("a\ufeffb")).count("U+FEFF") == 2  # the box and its title
    assert visible_text("a\u2066b") == "a[U+2066]b"
    assert visible_text("a\u200db", joiners=True) == "a\u200db"
    assert visible_text("a\u200db") == "a[U+200D]b"
