"""Webhooks through the publisher API: made, listed, deleted; bad input refused; milestones.

The deliveries themselves (a real receiver, the worker) are in test_webhooks_delivery.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openapi_core import OpenAPI

from tests.helpers import app_config, counting_round_trips
from tests.test_openapi import check
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.ops.health import openapi_document
from widget.store import keys
from widget.webhooks.hooks import MAX_WEBHOOKS

BASE = "/v1/sites/demo"
HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["article.milestone"], "milestones": [2]}


@pytest.fixture
def private_app(redis_server: RedisServer, redis_client: Any) -> Iterator[Any]:
    """Return the app with loopback receivers allowed (the tests' receivers)."""
    app = create_app(app_config(redis_server, WEBHOOK_ALLOW_PRIVATE=True))
    yield app
    app.extensions["reactions.store"].client.close()


@pytest.fixture
def api(private_app: Any) -> Callable[..., Any]:
    """Return a function that calls the publisher API with the demo site's (admin) key."""
    with private_app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    client = private_app.test_client()

    def call(path: str, method: str = "GET", body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {key}"}
        return client.open(f"{BASE}{path}", method=method, headers=headers, json=body)

    return call


def react(private_app: Any, reader: int, reaction: str | None, article: str = "a1") -> Any:
    body = {"article": article, "reader": f"reader-{reader:012d}", "reaction": reaction}
    res = private_app.test_client().post(f"{BASE}/reactions", json=body)
    assert res.status_code == 200, res.get_data(as_text=True)
    return res


def queued(redis_client: Any) -> list[dict[str, Any]]:
    """Return the events waiting in the stream, their data parsed."""
    return [
        {**fields, "data": json.loads(fields["data"])}
        for _, fields in redis_client.xrange(keys.EVENTS_STREAM)
    ]


def test_a_webhook_is_made_with_its_secret_shown_once_then_listed_and_deleted(
    api: Callable[..., Any], private_app: Any
) -> None:
    spec = OpenAPI.from_dict(openapi_document())
    res = check(spec, api("/webhooks", "POST", {"url": "http://127.0.0.1:9/x"}))
    assert res.status_code == 201
    made = res.get_json()
    assert made["secret"].startswith("whsec_")
    assert len(base64.b64decode(made["secret"][6:])) >= 24
    assert made["events"] == ["article.milestone", "digest.daily"]
    assert made["milestones"] == [10, 100, 1000, 10000]
    listed = check(spec, api("/webhooks")).get_json()["webhooks"]
    assert [h["id"] for h in listed] == [made["id"]]
    assert "secret" not in listed[0] and made["secret"] not in json.dumps(listed)
    assert listed[0]["created_at"].endswith("Z")
    with private_app.app_context():
        assert get_sites().require("demo").milestones == (10, 100, 1000, 10000)
    assert check(spec, api(f"/webhooks/{made['id']}/test", "POST")).status_code == 202
    deliveries = check(spec, api(f"/webhooks/{made['id']}/deliveries?limit=5"))
    assert deliveries.get_json() == {"deliveries": []}  # no worker ran
    assert api(f"/webhooks/{made['id']}", "DELETE").status_code == 204
    assert api("/webhooks").get_json() == {"webhooks": []}
    with private_app.app_context():
        assert get_sites().require("demo").milestones == ()
    assert api(f"/webhooks/{made['id']}", "DELETE").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "http://user:pw@127.0.0.1/"}, "url"),
        ({"url": 7}, "url"),
        ({"url": "http://127.0.0.1/", "events": ["article.vote"]}, "events"),
        ({"url": "http://127.0.0.1/", "events": []}, "events"),
        ({"url": "http://127.0.0.1/", "events": "digest.daily"}, "events"),
        ({"url": "http://127.0.0.1/", "milestones": [0]}, "milestones"),
        ({"url": "http://127.0.0.1/", "milestones": [-5]}, "milestones"),
        ({"url": "http://127.0.0.1/", "milestones": [1.5]}, "milestones"),
        ({"url": "http://127.0.0.1/", "milestones": [True]}, "milestones"),
        ({"url": "http://127.0.0.1/", "milestones": ["10"]}, "milestones"),
        ({"url": "http://127.0.0.1/", "milestones": list(range(1, 22))}, "milestones"),
        ({"url": "http://127.0.0.1/", "milestones": []}, "milestones"),
        ({"url": "http://127.0.0.1/", "secret": "whsec_mine"}, "secret"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(
    api: Callable[..., Any], body: dict[str, Any], field: str
) -> None:
    res = api("/webhooks", "POST", body)
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error["code"] == "bad_request"
    assert field in error["message"]
    assert api("/webhooks").get_json() == {"webhooks": []}


def test_a_body_that_is_no_object_is_400(api: Callable[..., Any]) -> None:
    assert api("/webhooks", "POST", ["http://127.0.0.1/"]).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://[2002:7f00:1::1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::a00:1]/hook",  # local-use NAT64
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_a_receiver_on_a_private_network_is_refused_unless_allowed(
    client: Any, make_site: Callable[..., str], url: str
) -> None:
    headers = {"Authorization": f"Bearer {make_site('demo')}"}
    res = client.post(f"{BASE}/webhooks", headers=headers, json={"url": url})
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "bad_request"
    assert "url" in res.get_json()["error"]["message"]
    assert client.get(f"{BASE}/webhooks", headers=headers).get_json() == {"webhooks": []}


def test_a_site_has_at_most_its_number_of_webhooks(api: Callable[..., Any]) -> None:
    for n in range(MAX_WEBHOOKS):
        assert api("/webhooks", "POST", {**HOOK, "url": f"http://127.0.0.1/{n}"}).status_code == 201
    res = api("/webhooks", "POST", HOOK)
    assert res.status_code == 400
    assert "webhooks" in res.get_json()["error"]["message"]
    assert len(api("/webhooks").get_json()["webhooks"]) == MAX_WEBHOOKS


@pytest.mark.parametrize("method", ["DELETE", "POST"])
def test_an_unknown_webhook_is_404(api: Callable[..., Any], method: str) -> None:
    api("/webhooks", "POST", HOOK)
    for hook in ("wh_nothere12345678", "nope", "x" * 300):
        path = f"/webhooks/{hook}" + ("/test" if method == "POST" else "")
        res = api(path, method)
        assert res.status_code == 404 and res.get_json()["error"]["code"] == "not_found"
    res = api("/webhooks/wh_nothere12345678/deliveries")
    assert res.status_code == 404
    assert api("/webhooks/wh_nothere12345678/deliveries?limit=0").status_code in (400, 404)


def test_a_milestone_is_queued_once_per_article_ever(
    api: Callable[..., Any], private_app: Any, redis_client: Any
) -> None:
    api("/webhooks", "POST", {**HOOK, "milestones": [2, 3]})
    react(private_app, 1, "love")
    assert queued(redis_client) == []
    react(private_app, 2, "like")  # total 2: the milestone
    events = queued(redis_client)
    assert [e["type"] for e in events] == ["article.milestone"]
    data = events[0]["data"]
    assert data["milestone"] == 2 and data["total"] == 2 and data["article"] == "a1"
    assert data["counts"]["love"] == 1 and data["counts"]["like"] == 1
    assert data["site"] == "demo" and data["title"] is None
    react(private_app, 2, "want")  # a switch: the total stays 2
    react(private_app, 2, None)  # back to 1 ...
    react(private_app, 3, "love")  # ... and up to 2 again: nothing more
    assert len(queued(redis_client)) == 1
    react(private_app, 4, "love")  # 3: the next milestone
    assert [e["data"]["milestone"] for e in queued(redis_client)] == [2, 3]
    react(private_app, 1, "love", article="a2")
    react(private_app, 2, "love", article="a2")  # another article has its own
    assert [e["data"]["article"] for e in queued(redis_client)] == ["a1", "a1", "a2"]


def test_a_site_without_webhooks_queues_nothing(private_app: Any, redis_client: Any) -> None:
    with private_app.app_context():
        get_sites().create("demo", "Demo", [])
    for reader in range(12):
        react(private_app, reader, "love")
    assert redis_client.exists(keys.EVENTS_STREAM) == 0


def test_a_milestone_costs_the_reaction_no_round_trip_more(
    redis_server: RedisServer, redis_client: Any
) -> None:
    app = create_app(app_config(redis_server, WEBHOOK_ALLOW_PRIVATE=True, SITE_CACHE_SECONDS=60))
    with app.app_context():
        _, key = get_sites().create("demo", "Demo", [])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.post(f"{BASE}/webhooks", headers=headers, json=HOOK).status_code == 201
    react(app, 1, "love", article="warm-up")
    store = app.extensions["reactions.store"]
    react(app, 1, "love")
    with counting_round_trips(store.client) as counted:
        react(app, 2, "love")  # the milestone
    assert counted.count == 1
    assert len(queued(redis_client)) == 1
    store.client.close()
