"""Webhook deliveries to a real receiver on loopback, by the real worker.

The worker runs in a thread of the test (``webhook_helpers.working``) or, to be killed,
as ``flask --app widget webhooks work`` in a process of its own. Signatures are checked
with the Standard Webhooks specification's own package, as a receiver would.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.helpers import ROOT, SECRET
from tests.webhook_helpers import Receiver, receiving, working
from widget.context import get_sites
from widget.local.redis_server import RedisServer

BASE = "/v1/sites/demo"


@pytest.fixture
def api(private_app: Any) -> Callable[..., Any]:
    client = private_app.test_client()

    def call(path: str, method: str = "GET", body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {private_app.config['TEST_KEY']}"}
        return client.open(f"{BASE}{path}", method=method, headers=headers, json=body)

    return call


def parts(app: Any) -> tuple[Any, Any]:
    """Return the app's store and site registry."""
    with app.app_context():
        return app.extensions["reactions.store"], get_sites()


def react(app: Any, reader: int, reaction: str | None = "love", article: str = "a1") -> float:
    """Post a reaction; return how long the POST took."""
    body = {"article": article, "reader": f"reader-{reader:012d}", "reaction": reaction}
    started = time.perf_counter()
    res = app.test_client().post(f"{BASE}/reactions", json=body)
    took = time.perf_counter() - started
    assert res.status_code == 200, res.get_data(as_text=True)
    return took


def hook(api: Callable[..., Any], receiver: Receiver, **body: Any) -> dict[str, Any]:
    """Make a webhook to the receiver (no digests, unless asked: the worker would send
    yesterday's at once)."""
    res = api("/webhooks", "POST", {"url": receiver.url, "events": ["article.milestone"], **body})
    assert res.status_code == 201, res.get_json()
    made: dict[str, Any] = res.get_json()
    return made


def deliveries(api: Callable[..., Any], hook_id: str) -> list[dict[str, Any]]:
    res = api(f"/webhooks/{hook_id}/deliveries")
    assert res.status_code == 200
    found: list[dict[str, Any]] = res.get_json()["deliveries"]
    return found


def wait_until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_milestone_arrives_signed_and_is_sent_once_ever(
    api: Callable[..., Any], private_app: Any
) -> None:
    with receiving() as receiver, working(*parts(private_app)):
        made = hook(api, receiver, events=["article.milestone"], milestones=[2])
        react(private_app, 1)
        react(private_app, 2)  # total 2
        got = receiver.wait_for(1)[0]
        payload = Webhook(made["secret"]).verify(got.body, got.headers)
        assert payload["type"] == "article.milestone"
        assert payload["timestamp"].endswith("Z")
        assert payload["data"]["milestone"] == 2 and payload["data"]["article"] == "a1"
        assert got.path == "/hook?x=1"
        assert got.headers["webhook-id"].startswith("msg_")
        react(private_app, 2, None)
        react(private_app, 3)  # back to 2: no second milestone
        time.sleep(0.5)
        assert len(receiver.got) == 1
        wait_until(lambda: [d["status"] for d in deliveries(api, made["id"])] == ["delivered"])
        assert deliveries(api, made["id"])[0]["attempts"] == 1


def test_a_forged_or_altered_delivery_does_not_verify(
    api: Callable[..., Any], private_app: Any
) -> None:
    with receiving() as receiver, working(*parts(private_app)):
        made = hook(api, receiver)
        assert api(f"/webhooks/{made['id']}/test", "POST").status_code == 202
        got = receiver.wait_for(1)[0]
    assert json.loads(got.body)["data"] == {"site": "demo", "webhook": made["id"]}
    Webhook(made["secret"]).verify(got.body, got.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(made["secret"]).verify(got.body.replace(b"demo", b"demx"), got.headers)
    other = api("/webhooks", "POST", {"url": receiver.url}).get_json()["secret"]
    with pytest.raises(Exception, match="signature"):
        Webhook(other).verify(got.body, got.headers)


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt_with_the_same_id(
    api: Callable[..., Any], private_app: Any
) -> None:
    with (
        receiving(status=lambda n: 500 if n <= 2 else 204) as receiver,
        working(*parts(private_app), schedule=(0.1, 0.1, 0.1)),
    ):
        made = hook(api, receiver)
        api(f"/webhooks/{made['id']}/test", "POST")
        got = receiver.wait_for(3)
        wait_until(lambda: [d["status"] for d in deliveries(api, made["id"])] == ["delivered"])
    assert len({g.headers["webhook-id"] for g in got}) == 1
    assert len({g.body for g in got}) == 1
    for attempt in got:
        Webhook(made["secret"]).verify(attempt.body, attempt.headers)
    [delivery] = deliveries(api, made["id"])
    assert delivery["attempts"] == 3 and delivery["last_status"] == 204
    assert delivery["id"] == got[0].headers["webhook-id"]


@pytest.mark.parametrize("status", [500, 302])
def test_a_receiver_that_always_fails_ends_failed_and_no_redirect_is_followed(
    api: Callable[..., Any], private_app: Any, status: int
) -> None:
    with (
        receiving(status=lambda n: status) as receiver,
        working(*parts(private_app), schedule=(0.1, 0.1)),
    ):
        made = hook(api, receiver)
        api(f"/webhooks/{made['id']}/test", "POST")
        wait_until(lambda: [d["status"] for d in deliveries(api, made["id"])] == ["failed"])
    [delivery] = deliveries(api, made["id"])
    assert delivery["attempts"] == 3 == len(receiver.got)
    assert delivery["last_status"] == status and delivery["next_attempt_at"] is None
    assert str(status) in delivery["last_error"]
    assert all(g.path == "/hook?x=1" for g in receiver.got)  # never the Location


@pytest.mark.slow
def test_a_deleted_webhook_gets_nothing_more(api: Callable[..., Any], private_app: Any) -> None:
    with (
        receiving(status=lambda n: 500) as receiver,
        working(*parts(private_app), schedule=(0.5, 0.5, 0.5, 0.5)),
    ):
        made = hook(api, receiver)
        api(f"/webhooks/{made['id']}/test", "POST")
        receiver.wait_for(1)
        assert api(f"/webhooks/{made['id']}", "DELETE").status_code == 204
        seen = len(receiver.got)
        time.sleep(2.5)  # the retries would have come by now
    assert len(receiver.got) == seen <= 2


@pytest.mark.slow
def test_several_workers_send_each_event_once(api: Callable[..., Any], private_app: Any) -> None:
    with receiving() as receiver:
        made = hook(api, receiver)
        for _ in range(30):
            api(f"/webhooks/{made['id']}/test", "POST")
        with working(*parts(private_app)), working(*parts(private_app)):
            receiver.wait_for(30)
            time.sleep(0.5)
    ids = [g.headers["webhook-id"] for g in receiver.got]
    assert len(ids) == len(set(ids)) == 30


@pytest.mark.slow
def test_a_hanging_receiver_costs_the_reaction_post_nothing(
    api: Callable[..., Any], private_app: Any
) -> None:
    def median_post(first_reader: int, article: str) -> float:
        return statistics.median(
            react(private_app, first_reader + n, article=article) for n in range(40)
        )

    without = median_post(1000, "no-hooks")
    with receiving(delay=6.0) as receiver, working(*parts(private_app)):
        hook(api, receiver, events=["article.milestone"], milestones=list(range(1, 21)))
        times = [react(private_app, n, article="hooked") for n in range(1, 41)]
        receiver.wait_for(1)  # the worker is stuck on the receiver meanwhile
    # Each of the first 20 POSTs queued a milestone while every delivery hung 5 s: none
    # waited for it (a wait would cost seconds; the bound is far above the noise).
    assert max(times) < 0.5
    assert statistics.median(times) < without + 0.02


@pytest.mark.slow
def test_a_worker_killed_while_events_are_pending_loses_none_after_a_restart(
    api: Callable[..., Any], private_app: Any, redis_server: RedisServer
) -> None:
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": SECRET,
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_RETRY_SCHEDULE": "0.5",
    }
    command = [sys.executable, "-m", "flask", "--app", "widget", "webhooks", "work"]
    with receiving(delay=2.0) as receiver:
        made = hook(api, receiver)
        for _ in range(12):
            assert api(f"/webhooks/{made['id']}/test", "POST").status_code == 202
        worker = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            receiver.wait_for(2, seconds=20)  # attempts under way, the rest pending
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            receiver.delay = 0.0
            worker = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
            # The attempts the kill cut short are made again once their claim ends.
            wait_until(
                lambda: [d["status"] for d in deliveries(api, made["id"])] == ["delivered"] * 12,
                60,
            )
        finally:
            worker.terminate()
            worker.wait(20)
    ids = [g.headers["webhook-id"] for g in receiver.got]
    assert set(ids) == {d["id"] for d in deliveries(api, made["id"])}
    assert len(ids) > len(set(ids))  # some twice (at least once), each time with its own id
