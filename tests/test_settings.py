"""Site settings: one model, three doors (API, CLI; the dashboard in test_settings_dashboard),
enforced by the server: reaction sets with stable keys, count visibility, closing."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from openapi_core import OpenAPI

from tests.conftest import app_config
from tests.helpers import zeros
from tests.test_openapi import check
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.ops.health import openapi_document
from widget.sites import DEFAULT_KEYS, SiteRegistry
from widget.sites.settings import settings_json
from widget.store import Store

READERS = [f"reader-{i:012d}" for i in range(100)]
SETTINGS = "/v1/sites/demo/settings"
COUNTS = "/v1/sites/demo/reactions"
ARTICLE = "/v1/sites/demo/article?article=a1"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Publisher:
    """The publisher API of site demo, as a publisher's script calls it."""

    def __init__(self, client: Any, key: str) -> None:
        self.client, self.key = client, key

    def get(self, path: str = SETTINGS) -> Any:
        return self.client.get(path, headers=bearer(self.key))

    def patch(self, body: Any, path: str = SETTINGS) -> Any:
        return self.client.patch(path, json=body, headers=bearer(self.key))

    def settings(self) -> dict[str, Any]:
        res = self.get()
        assert res.status_code == 200, res.get_json()
        return dict(res.get_json())

    def reactions_with(self, **changes: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the whole set, in its order, with some reactions' fields changed."""
        return [{**r, **changes.get(r["key"], {})} for r in self.settings()["reactions"]]


@pytest.fixture
def publisher(client: Any, make_site: Callable[..., str]) -> Publisher:
    return Publisher(client, make_site("demo"))


def react(client: Any, article: str, reader: int, reaction: str | None) -> Any:
    body = {"article": article, "reader": READERS[reader], "reaction": reaction}
    return client.post(COUNTS, json=body)


def numbers_in(value: Any) -> list[int]:
    """Return every number anywhere in a JSON value."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [int(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return []


# -- the model ---------------------------------------------------------------------------


def test_a_record_from_before_the_settings_loads_with_the_defaults(store: Store) -> None:
    old = {"id": "old", "name": "Old", "origins": [], "key_digest": "x", "created_at": "",
           "reactions": [{"key": "love", "label": "Love It", "emoji": "😍"}]}  # fmt: skip
    store.sites.create("old", old)
    site = SiteRegistry(store, cache_seconds=0).get("old")
    assert site is not None
    assert settings_json(site) == {
        "site": "old",
        "name": "Old",
        "origins": [],
        "reactions": [
            {"key": "love", "label": "Love It", "emoji": "😍", "labels": {}, "retired": False}
        ],
        "visibility": "always",
        "visibility_threshold": 10,
        "close_after_days": None,
        "signed_articles": False,
    }


def test_get_answers_every_setting_with_no_store(publisher: Publisher) -> None:
    res = publisher.get()
    assert res.status_code == 200
    assert res.headers["Cache-Control"] == "no-store"
    body = res.get_json()
    assert body["site"] == "demo" and body["name"] == "Demo"
    assert [r["key"] for r in body["reactions"]] == list(DEFAULT_KEYS)
    assert all(r["labels"] == {} and r["retired"] is False for r in body["reactions"])
    assert body["visibility"] == "always" and body["close_after_days"] is None


def test_a_patch_changes_only_what_it_names_and_answers_the_new_settings(
    publisher: Publisher,
) -> None:
    before = publisher.settings()
    res = publisher.patch(
        {
            "name": " Renamed ",
            "origins": ["https://EXAMPLE.com:443/", "http://127.0.0.1:8080"],
            "visibility": "threshold",
            "visibility_threshold": 3,
            "close_after_days": 30,
            "signed_articles": True,
        }
    )
    assert res.status_code == 200, res.get_json()
    after = res.get_json()
    assert after == {
        **before,
        "name": "Renamed",
        "origins": ["https://example.com", "http://127.0.0.1:8080"],
        "visibility": "threshold",
        "visibility_threshold": 3,
        "close_after_days": 30,
        "signed_articles": True,
    }
    assert publisher.settings() == after
    assert publisher.patch({"close_after_days": None}).get_json()["close_after_days"] is None


BAD_PATCHES: list[tuple[Any, str]] = [
    ([], "body"),
    ({"colour": "red"}, "colour"),
    ({"name": ""}, "name"),
    ({"name": "a\nb"}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"origins": "https://example.com"}, "origins"),
    ({"origins": ["example.com"]}, "origins[0]"),
    ({"origins": [5]}, "origins[0]"),
    ({"visibility": "sometimes"}, "visibility"),
    ({"visibility_threshold": 0}, "visibility_threshold"),
    ({"visibility_threshold": True}, "visibility_threshold"),
    ({"visibility_threshold": 2.5}, "visibility_threshold"),
    ({"close_after_days": 0}, "close_after_days"),
    ({"close_after_days": "30"}, "close_after_days"),
    ({"signed_articles": 1}, "signed_articles"),
    ({"reactions": []}, "reactions"),
    ({"reactions": "love"}, "reactions"),
]


@pytest.mark.parametrize(("patch", "field"), BAD_PATCHES)
def test_an_invalid_patch_is_400_naming_the_field_and_changes_nothing(
    publisher: Publisher, patch: Any, field: str
) -> None:
    before = publisher.settings()
    res = publisher.patch(patch)
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith(f"{field}: "), error
    assert publisher.settings() == before


def bad_sets(publisher: Publisher) -> list[tuple[list[Any], str]]:
    whole = publisher.settings()["reactions"]
    new = {"key": "wow", "label": "Wow", "emoji": "😮"}
    return [
        (whole[1:], "reactions"),  # leaves out love
        ([*whole, whole[0]], f"reactions[{len(whole)}].key"),  # listed twice
        ([*whole, {**new, "key": "Wow"}], f"reactions[{len(whole)}].key"),
        ([*whole, {**new, "key": "1wow"}], f"reactions[{len(whole)}].key"),
        ([*whole, {**new, "key": "w" * 33}], f"reactions[{len(whole)}].key"),
        # the names of the site's own indexes and of a title
        ([*whole, {**new, "key": "total"}], f"reactions[{len(whole)}].key"),
        ([*whole, {**new, "key": "recent"}], f"reactions[{len(whole)}].key"),
        ([*whole, {**new, "key": "title"}], f"reactions[{len(whole)}].key"),
        ([*whole, {"key": "wow", "label": "Wow"}], f"reactions[{len(whole)}].emoji"),
        ([*whole, {"key": "wow", "emoji": "😮"}], f"reactions[{len(whole)}].label"),
        ([*whole, {**new, "label": "x" * 65}], f"reactions[{len(whole)}].label"),
        ([*whole, {**new, "size": 3}], f"reactions[{len(whole)}].size"),
        ([*whole, {**new, "labels": {"p": "x"}}], f"reactions[{len(whole)}].labels"),
        ([*whole, {**new, "labels": {"pt_BR": "x"}}], f"reactions[{len(whole)}].labels"),
        ([*whole, {**new, "labels": {"pt": "x\u0007"}}], f"reactions[{len(whole)}].labels.pt"),
        ([*whole, {**new, "labels": {"pt": "a", "PT": "b"}}], f"reactions[{len(whole)}].labels"),
        ([*whole, {**new, "labels": ["pt"]}], f"reactions[{len(whole)}].labels"),
        ([{**r, "retired": "yes"} for r in whole], "reactions[0].retired"),
        ([{**r, "retired": True} for r in whole], "reactions"),  # none active
        (
            [*whole, *({**new, "key": f"k{i}"} for i in range(5))],
            "reactions",
        ),  # ten active
    ]


def test_an_invalid_reaction_set_is_400_naming_the_field_and_changes_nothing(
    publisher: Publisher,
) -> None:
    before = publisher.settings()
    for reactions, field in bad_sets(publisher):
        res = publisher.patch({"reactions": reactions})
        assert res.status_code == 400, (field, res.get_json())
        message = res.get_json()["error"]["message"]
        assert message.startswith(f"{field}: "), (field, message)
        assert publisher.settings() == before
    error = publisher.patch({"reactions": before["reactions"][1:]}).get_json()["error"]
    assert "'love' is left out" in error["message"]


def test_nine_active_reactions_are_allowed_and_retired_ones_do_not_count(
    publisher: Publisher,
) -> None:
    whole = publisher.settings()["reactions"]
    room = 9 - len(whole)
    extra = [{"key": f"k{i}", "label": f"K{i}", "emoji": "⭐"} for i in range(room + 1)]
    assert publisher.patch({"reactions": [*whole, *extra[:room]]}).status_code == 200
    retired = [{**r, "retired": r["key"] == "love"} for r in publisher.settings()["reactions"]]
    res = publisher.patch({"reactions": [*retired, extra[room]]})
    assert res.status_code == 200, res.get_json()
    assert sum(not r["retired"] for r in res.get_json()["reactions"]) == 9


def test_the_settings_endpoints_need_the_sites_key(
    client: Any, make_site: Callable[..., str]
) -> None:
    make_site("demo")
    other = make_site("other")
    assert client.get(SETTINGS).status_code == 401
    assert client.patch(SETTINGS, json={"name": "x"}).status_code == 401
    assert client.patch(SETTINGS, json={"name": "x"}, headers=bearer(other)).status_code == 403
    assert client.get("/v1/sites/nosuch/settings", headers=bearer(other)).status_code == 404


def test_a_patch_that_is_not_json_is_refused(publisher: Publisher) -> None:
    headers = bearer(publisher.key)
    res = publisher.client.patch(SETTINGS, data="name=x", headers=headers,
                                 content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert res.status_code == 415
    res = publisher.client.patch(SETTINGS, data="{", headers=headers,
                                 content_type="application/json")  # fmt: skip
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "bad_request"


# -- reaction sets: keys never move a count ----------------------------------------------


@pytest.fixture(params=["single", pytest.param("cluster", marks=pytest.mark.cluster)])
def any_app(request: pytest.FixtureRequest) -> Any:
    """Return the app on a single Redis, then on the local Redis Cluster."""
    if request.param == "cluster":
        return request.getfixturevalue("cluster_app")
    return request.getfixturevalue("app")


def test_relabel_reorder_retire_restore_leave_every_count_exactly_where_it_was(
    any_app: Any,
) -> None:
    client = any_app.test_client()
    with any_app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    api = Publisher(client, key)
    articles = ["a1", "a2", "{a3}"]
    expected: dict[str, dict[str, int]] = {a: dict.fromkeys(DEFAULT_KEYS, 0) for a in articles}
    reader = 0
    for n, article in enumerate(articles):
        for i, reaction in enumerate(DEFAULT_KEYS):
            for _ in range((i + 2 * n) % 4 + 1):
                assert react(client, article, reader, reaction).status_code == 200
                expected[article][reaction] += 1
                reader += 1

    def publisher_counts() -> dict[str, dict[str, int]]:
        listed = api.get("/v1/sites/demo/articles?limit=200").get_json()["articles"]
        return {a["article"]: a["counts"] for a in listed}

    def check(active: list[str]) -> None:
        query = "&".join(f"article={a}" for a in ["a1", "a2", "%7Ba3%7D"])
        body = client.get(f"{COUNTS}?{query}").get_json()
        assert [r["key"] for r in body["reactions"]] == active
        for article in articles:
            shown = body["articles"][article]["counts"]
            assert list(shown) == active
            assert shown == {k: expected[article][k] for k in active}
        assert publisher_counts() == {a: expected[a] for a in articles}
        summary = api.get("/v1/sites/demo/summary?days=1").get_json()["counts"]
        assert summary == {k: sum(expected[a][k] for a in articles) for k in DEFAULT_KEYS}
        rows = list(csv.DictReader(io.StringIO(api.get("/v1/sites/demo/export").get_data(True))))
        assert {r["article"]: {k: int(r[k]) for k in DEFAULT_KEYS} for r in rows} == expected

    check(list(DEFAULT_KEYS))
    renamed = api.reactions_with(love={"label": "Adore", "emoji": "💖", "labels": {"pt": "Amei"}})
    assert api.patch({"reactions": renamed}).status_code == 200
    check(list(DEFAULT_KEYS))
    assert client.get(f"{COUNTS}?article=a1").get_json()["reactions"][0] == {
        "key": "love", "label": "Adore", "emoji": "💖"}  # fmt: skip
    reordered = list(reversed(api.settings()["reactions"]))
    assert api.patch({"reactions": reordered}).status_code == 200
    check(list(reversed(DEFAULT_KEYS)))
    retired = api.reactions_with(like={"retired": True}, had={"retired": True})
    assert api.patch({"reactions": retired}).status_code == 200
    check([k for k in reversed(DEFAULT_KEYS) if k not in ("like", "had")])
    restored = api.reactions_with(like={"retired": False})
    assert api.patch({"reactions": restored}).status_code == 200
    check([k for k in reversed(DEFAULT_KEYS) if k != "had"])
    restored = api.reactions_with(had={"retired": False})
    assert api.patch({"reactions": restored}).status_code == 200
    check(list(reversed(DEFAULT_KEYS)))


def test_a_retired_reaction_refuses_votes_but_its_holder_may_withdraw_it(
    client: Any, publisher: Publisher
) -> None:
    assert react(client, "a1", 0, "hated").status_code == 200
    assert react(client, "a1", 1, "hated").status_code == 200
    retired = publisher.reactions_with(hated={"retired": True})
    assert publisher.patch({"reactions": retired}).status_code == 200
    res = react(client, "a1", 2, "hated")
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "unknown_reaction"
    shown = client.get(f"{COUNTS}?article=a1&reader={READERS[0]}").get_json()
    assert "hated" not in shown["articles"]["a1"]["counts"]
    assert shown["articles"]["a1"]["mine"] == "hated"  # theirs to see, and to take back
    res = react(client, "a1", 0, None)
    assert res.status_code == 200, res.get_json()
    active = [key for key in DEFAULT_KEYS if key != "hated"]
    assert res.get_json() == {"article": "a1", "counts": dict.fromkeys(active, 0), "total": 0,
                              "mine": None}  # fmt: skip
    record = publisher.get("/v1/sites/demo/article?article=a1").get_json()
    assert record["counts"]["hated"] == 1  # exactly one withdrawn, the other still held
    # A switch from the retired reaction to an active one moves exactly one count.
    assert react(client, "a1", 1, "love").status_code == 200
    record = publisher.get("/v1/sites/demo/article?article=a1").get_json()
    assert record["counts"] == zeros(love=1)


def test_an_added_reaction_is_voted_on_sorted_by_and_exported_after_the_defaults(
    client: Any, publisher: Publisher
) -> None:
    for i in range(3):
        assert react(client, f"a{i}", i, "love").status_code == 200
    wow = {"key": "wow", "label": "Wow", "emoji": "😮", "labels": {"pt-BR": "Uau"}}
    res = publisher.patch({"reactions": [wow, *publisher.settings()["reactions"]]})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["reactions"][0] == {**wow, "retired": False}
    assert client.get(f"{COUNTS}?article=a0").get_json()["reactions"][0]["key"] == "wow"
    assert react(client, "a1", 1, "wow").get_json()["counts"]["wow"] == 1
    listed = publisher.get("/v1/sites/demo/articles?sort=wow").get_json()["articles"]
    assert listed[0]["article"] == "a1"
    assert {a["article"] for a in listed} == {"a0", "a1", "a2"}  # the old articles too
    header = publisher.get("/v1/sites/demo/export").get_data(True).splitlines()[0]
    assert header == ",".join(["article", "title", "url", *DEFAULT_KEYS, "total",
                               "first_reaction_at", "last_reaction_at", "wow"])  # fmt: skip


# -- visibility --------------------------------------------------------------------------


def counts_answers(client: Any, reader: int | None = None) -> Any:
    query = f"article=a1&article=a2{'' if reader is None else f'&reader={READERS[reader]}'}"
    return client.get(f"{COUNTS}?{query}")


@pytest.fixture
def reacted(client: Any, publisher: Publisher) -> Publisher:
    """Article a1 has 3 reactions (readers 0-2), a2 has none."""
    for reader in range(3):
        assert react(client, "a1", reader, "love").status_code == 200
    return publisher


# -- the CLI door, and every worker ------------------------------------------------------


def test_the_cli_prints_the_settings_as_the_api_does_and_sets_them_as_patch(
    runner: Any, publisher: Publisher
) -> None:
    result = runner.invoke(args=["sites", "settings", "demo"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == publisher.settings()
    patch = {"visibility": "threshold", "visibility_threshold": 10}
    result = runner.invoke(args=["sites", "settings", "demo", "--set", json.dumps(patch)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == publisher.settings()
    assert publisher.settings()["visibility"] == "threshold"
    before = publisher.settings()
    for bad, message in (
        ('{"visibility": "never"}', "visibility: must be one of"),
        ("{not json", "--set is not valid JSON"),
        ('{"reactions": []}', "reactions: must be a list"),
    ):
        result = runner.invoke(args=["sites", "settings", "demo", "--set", bad])
        assert result.exit_code == 1 and message in result.output, result.output
    assert publisher.settings() == before
    result = runner.invoke(args=["sites", "settings", "nosuch"])
    assert result.exit_code == 1 and "there is no site" in result.output


def test_every_worker_serves_a_change_within_the_site_cache_time(
    redis_server: RedisServer, redis_client: Any
) -> None:
    apps = [create_app(app_config(redis_server, SITE_CACHE_SECONDS=0.3)) for _ in range(2)]
    with apps[0].app_context():
        _, key = get_sites().create("demo", "Demo", [])
    second = apps[1].test_client()

    def labels() -> list[str]:
        body = second.get(f"{COUNTS}?article=a1").get_json()
        return [r["label"] for r in body["reactions"]]

    assert labels()[0] == "Love It"  # now cached by the second worker
    api = Publisher(apps[0].test_client(), key)
    api.patch({"reactions": api.reactions_with(love={"label": "Adore"})})
    changed_at = time.monotonic()
    seen = labels()
    while seen[0] != "Adore":
        assert time.monotonic() - changed_at < 0.3 + 0.5, "not seen within the cache time"
        time.sleep(0.05)
        seen = labels()
    for app in apps:
        app.extensions["reactions.store"].client.close()


def test_the_answers_match_the_openapi_document(client: Any, reacted: Publisher) -> None:
    spec = OpenAPI.from_dict(openapi_document())
    check(spec, reacted.get())
    check(spec, reacted.patch({"visibility": "after_reacting", "close_after_days": 9}))
    check(spec, reacted.patch({"reactions": []}))
    check(spec, reacted.get(ARTICLE))
    check(spec, reacted.patch({"closed": True}, ARTICLE))
    check(spec, reacted.get("/v1/sites/demo/article?article=nobody"))
    check(spec, counts_answers(client))  # hidden entries
    check(spec, counts_answers(client, 0))  # counts, mine, closed
    check(spec, react(client, "a1", 0, None))  # article_closed
    reacted.patch({"closed": False}, ARTICLE)
    check(spec, react(client, "a1", 0, None))  # hidden after withdrawing
