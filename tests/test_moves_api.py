"""``POST .../article/move`` and ``DELETE .../article/alias``, and old ids that keep working.

Held to the OpenAPI document (tests/test_openapi.py's ``check``), on one Redis and on a
cluster: what a publisher's program and an old page's widget see after a move.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from openapi_core import OpenAPI

from tests.test_openapi import check
from widget.ops.health import openapi_document
from widget.publisher import audit

pytestmark = pytest.mark.on_cluster_too

READER = "reader-0123456789abcdef"
URL = "/v1/sites/demo"


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_dict(openapi_document())


@pytest.fixture
def auth(make_site: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_site('demo')}"}


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Collect the audit log's entries (its storage is issue 21's)."""
    entries: list[tuple[Any, ...]] = []
    monkeypatch.setattr(audit, "record", lambda *args, **kw: entries.append((*args, kw)))
    return entries


def post(client: Any, article: str, reaction: str | None, reader: str = READER) -> Any:
    body = {"article": article, "reader": reader, "reaction": reaction}
    return client.post(f"{URL}/reactions", json=body)


def test_a_move_answers_to_and_old_ids_keep_working(
    client: Any, auth: dict[str, str], spec: OpenAPI, recorded: list[tuple[Any, ...]]
) -> None:
    post(client, "/old/a", "love")
    post(client, "/old/a", "like", "reader-bbbbbbbbbbbbbbbb")
    post(client, "/new/a", "love", "reader-cccccccccccccccc")
    moved = check(spec, client.post(f"{URL}/article/move", headers=auth,
                                     json={"from": "/old/a", "to": "/new/a"}))  # fmt: skip
    assert moved.status_code == 200
    body = moved.get_json()
    assert (body["article"], body["counts"]["love"], body["total"]) == ("/new/a", 2, 3)
    assert body["aliases"] == ["/old/a"]
    [(site, action, entry)] = recorded
    assert (site, action, entry["target"]) == ("demo", "article.move", "/old/a")
    assert entry["after"] == {"alias_of": "/new/a", "to_counts": body["counts"]}
    # The old page's widget: answered under its own id, with the reader's own reaction.
    counts = client.get(f"{URL}/reactions?article=/old/a&article=/new/a&reader={READER}")
    articles = counts.get_json()["articles"]
    assert articles["/old/a"] == articles["/new/a"]
    assert articles["/old/a"]["mine"] == "love" and articles["/old/a"]["total"] == 3
    # Its POST counts on the new article, and is answered under the old id.
    switched = post(client, "/old/a", "want")
    assert switched.get_json()["article"] == "/old/a"
    assert switched.get_json()["counts"]["want"] == 1
    assert post(client, "/new/a", None).get_json()["total"] == 2
    # The publisher: the alias answers its article; lists and exports hold it no more.
    got = check(spec, client.get(f"{URL}/article?article=/old/a", headers=auth))
    assert got.get_json()["article"] == "/new/a"
    history = client.get(f"{URL}/history?article=/old/a", headers=auth).get_json()
    assert history["article"] == "/new/a" and history["days"][-1]["counts"]["like"] == 1
    listed = client.get(f"{URL}/articles", headers=auth).get_json()["articles"]
    assert [a["article"] for a in listed] == ["/new/a"]
    export = client.get(f"{URL}/export?format=csv", headers=auth).get_data(as_text=True)
    assert "/old/a" not in export and "/new/a" in export
    assert client.get(f"{URL}/summary", headers=auth).get_json()["articles"] == 1


def test_bad_moves_are_refused_and_change_nothing(
    client: Any, auth: dict[str, str], spec: OpenAPI, recorded: list[tuple[Any, ...]]
) -> None:
    post(client, "a", "love")
    post(client, "b", "like")
    move = f"{URL}/article/move"
    assert client.post(move, headers=auth, json={"from": "a", "to": "c"}).status_code == 200
    for body, status, code in (
        ({"from": "b", "to": "b"}, 400, "bad_request"),
        ({"from": "nobody", "to": "b"}, 404, "not_found"),
        ({"from": "a", "to": "b"}, 409, "conflict"),  # a is an alias already
        ({"from": "c", "to": "a"}, 409, "conflict"),  # a is c's own alias
        ({"from": "b"}, 400, "bad_request"),
        ({"from": "b", "to": "c", "extra": 1}, 400, "bad_request"),
        ({"from": "", "to": "c"}, 400, "invalid_article"),
        ({"from": "b", "to": "x\u0001"}, 400, "invalid_article"),
        ({"from": 3, "to": "c"}, 400, "invalid_article"),
    ):
        res = check(spec, client.post(move, headers=auth, json=body))
        assert (res.status_code, res.get_json()["error"]["code"]) == (status, code), body
    assert check(spec, client.post(move, json={"from": "b", "to": "c"})).status_code == 401
    bad_type = client.post(move, headers=auth, data="x", content_type="text/plain")
    assert check(spec, bad_type).status_code == 415
    listed = client.get(f"{URL}/articles", headers=auth).get_json()["articles"]
    assert sorted((a["article"], a["total"]) for a in listed) == [("b", 1), ("c", 1)]
    assert len(recorded) == 1


def test_an_alias_deleted_starts_empty(client: Any, auth: dict[str, str], spec: OpenAPI) -> None:
    post(client, "a", "love")
    client.post(f"{URL}/article/move", headers=auth, json={"from": "a", "to": "b"})
    assert (
        check(spec, client.delete(f"{URL}/article/alias?article=a", headers=auth)).status_code
        == 204
    )
    missing = check(spec, client.delete(f"{URL}/article/alias?article=a", headers=auth))
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")
    assert client.get(f"{URL}/article?article=a", headers=auth).status_code == 404
    assert client.get(f"{URL}/article?article=b", headers=auth).get_json()["aliases"] == []
    assert post(client, "a", "like").get_json()["total"] == 1
    assert client.get(f"{URL}/article?article=b", headers=auth).get_json()["total"] == 1
    # A reset of the article keeps its aliases.
    client.post(f"{URL}/article/move", headers=auth, json={"from": "a", "to": "b"})
    assert client.delete(f"{URL}/reactions?article=b", headers=auth).status_code == 204
    assert post(client, "a", "want").get_json()["total"] == 1
    assert client.get(f"{URL}/article?article=b", headers=auth).get_json()["aliases"] == ["a"]
