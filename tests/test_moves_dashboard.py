"""The dashboard's "Move or merge" form on an article's page: CSRF-checked, clear errors."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from tests.helpers import KEYS
from tests.test_dashboard import csrf_of, react, sign_in
from widget.store import Store


def test_the_form_moves_and_merges(
    client: Any, make_site: Callable[..., str], store: Store
) -> None:
    sign_in(client, make_site("demo"))
    react(store, "/old", 1, "love")
    react(store, "/new", 2, "like")
    page = client.get("/dashboard/article?article=/old").get_data(as_text=True)
    assert "Move or merge" in page
    token = csrf_of(page)
    for forged in (None, "forged"):
        data = {"article": "/old", "to": "/new"} | ({"csrf": forged} if forged else {})
        client.post("/dashboard/article/move", data=data)
        assert store.moves.resolve("demo", "/old") is None
    for to, status, message in (
        ("", 400, "Name the article to move this one to."),
        ("/old", 400, "from and to are the same article."),
        ("x\u0001", 400, "an article id may not hold control characters."),
    ):
        res = client.post(
            "/dashboard/article/move", data={"article": "/old", "to": to, "csrf": token}
        )
        shown = html.unescape(res.get_data(as_text=True))
        assert res.status_code == status and f"Nothing moved: {message}" in shown, shown
        assert store.moves.resolve("demo", "/old") is None
    res = client.post(
        "/dashboard/article/move", data={"article": "/old", "to": "/new", "csrf": token}
    )
    assert res.status_code == 302 and res.headers["Location"].endswith("article=/new")
    shown = html.unescape(client.get(res.headers["Location"]).get_data(as_text=True))
    assert "Merged '/old' into this article" in shown
    assert store.get_tallies("demo", ["/new"], KEYS)["/new"].total == 2
    # The old id's page is the new article's, which names it among its moved ids.
    old = html.unescape(client.get("/dashboard/article?article=/old").get_data(as_text=True))
    assert 'data-testid="aliases"' in old and "/old" in old and 'value="/new"' in old
    res = client.post(
        "/dashboard/article/move", data={"article": "/new", "to": "/old", "csrf": token}
    )
    assert res.status_code == 409
    assert "is an alias of" in html.unescape(res.get_data(as_text=True))


def test_an_editor_forgets_an_old_id_and_it_starts_afresh(
    client: Any, make_site: Callable[..., str], store: Store
) -> None:
    sign_in(client, make_site("demo"))
    react(store, "/old", 1, "love")
    react(store, "/new", 2, "like")
    store.moves.move("demo", "/old", "/new", KEYS)
    page = client.get("/dashboard/article?article=/new").get_data(as_text=True)
    token = csrf_of(page)
    assert "Forget" in page and 'name="alias" value="/old"' in page
    forged = client.post(
        "/dashboard/article/alias/delete", data={"article": "/new", "alias": "/old"}
    )
    assert forged.status_code in (302, 400, 403) and store.moves.resolve("demo", "/old") == "/new"
    res = client.post(
        "/dashboard/article/alias/delete",
        data={"article": "/new", "alias": "/old", "csrf": token},
    )
    assert res.status_code == 302 and res.headers["Location"].endswith("article=/new")
    shown = html.unescape(client.get(res.headers["Location"]).get_data(as_text=True))
    assert "'/old' is an id of its own again" in shown and 'value="/old"' not in shown
    assert store.moves.resolve("demo", "/old") is None
    assert store.get_tallies("demo", ["/old"], KEYS)["/old"].total == 0  # starts empty
    assert store.get_tallies("demo", ["/new"], KEYS)["/new"].total == 2  # keeps what moved
    entries = [e for _, e in store.audit.every("demo")]
    assert [e["action"] for e in entries][-1] == "article.alias.delete"
    again = client.post(
        "/dashboard/article/alias/delete",
        data={"article": "/new", "alias": "/old", "csrf": token},
    )
    shown = html.unescape(client.get(again.headers["Location"]).get_data(as_text=True))
    assert "'/old' is no alias" in shown
