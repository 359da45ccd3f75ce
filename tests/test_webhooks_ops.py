"""Webhooks around the edges: the daily digest, the queue on /metrics, the dashboard's
page, and a receiver's address checked again when a delivery is attempted."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import playwright
import pytest

from tests.helpers import KEYS, ROOT
from tests.test_dashboard import csrf_of, sign_in
from tests.webhook_helpers import receiving
from widget.context import get_sites
from widget.store import keys
from widget.webhooks.sender import post
from widget.webhooks.signing import headers, new_secret
from widget.webhooks.ssrf import Target
from widget.webhooks.worker import Worker

DAY = datetime(2026, 12, 5, 12, tzinfo=UTC).timestamp()


def queued(redis_client: Any) -> list[dict[str, Any]]:
    return [
        {**f, "data": json.loads(f["data"])} for _, f in redis_client.xrange(keys.EVENTS_STREAM)
    ]


def test_the_digest_command_queues_a_days_totals_and_top_five(
    private_app: Any, redis_client: Any
) -> None:
    store = private_app.extensions["reactions.store"]
    for n in range(7):  # article a<n> gets n + 1 reactions on the day
        for reader in range(n + 1):
            store.set_reaction("demo", f"a{n}", f"reader-{reader:012d}", "love", KEYS,
                               title=f"Title {n}", now=DAY)  # fmt: skip
    store.set_reaction("demo", "a0", "reader-000000000099", "like", KEYS, now=DAY + 86400)
    result = private_app.test_cli_runner().invoke(
        args=["webhooks", "digest", "demo", "--date", "2026-12-05"]
    )
    assert result.exit_code == 0, result.output
    [event] = queued(redis_client)
    assert event["type"] == "digest.daily"
    data = event["data"]
    assert data["date"] == "2026-12-05" and data["site"] == "demo"
    assert data["counts"]["love"] == 28 and data["total"] == 28  # the next day's not counted
    assert [(a["article"], a["total"]) for a in data["top"]] == [
        ("a6", 7), ("a5", 6), ("a4", 5), ("a3", 4), ("a2", 3)
    ]  # fmt: skip
    assert data["top"][0]["title"] == "Title 6"
    bad = private_app.test_cli_runner().invoke(
        args=["webhooks", "digest", "nope", "--date", "2026-12-05"]
    )
    assert bad.exit_code != 0 and "nope" in bad.output


def test_the_worker_queues_yesterdays_digest_once_for_sites_that_want_it(
    private_app: Any, redis_client: Any
) -> None:
    client = private_app.test_client()
    headers = {"Authorization": f"Bearer {private_app.config['TEST_KEY']}"}
    body = {"url": "http://127.0.0.1:9/", "events": ["digest.daily"]}
    assert client.post("/v1/sites/demo/webhooks", headers=headers, json=body).status_code == 201
    with private_app.app_context():
        worker = Worker(private_app.extensions["reactions.store"], get_sites(), (1.0,), True)
    worker.queue_digests()
    worker.queue_digests()  # a second worker, or a minute later: nothing more
    assert [e["type"] for e in queued(redis_client)] == ["digest.daily"]


def test_the_queue_depth_and_age_are_on_metrics(private_app: Any, redis_client: Any) -> None:
    client = private_app.test_client()
    headers = {"Authorization": f"Bearer {private_app.config['TEST_KEY']}"}
    made = client.post(
        "/v1/sites/demo/webhooks", headers=headers, json={"url": "http://127.0.0.1:9/"}
    ).get_json()
    client.post(f"/v1/sites/demo/webhooks/{made['id']}/test", headers=headers)
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r"^reactions_webhook_events_queued 1\.0$", text, re.M)
    assert re.search(r"^reactions_webhook_deliveries_pending 0\.0$", text, re.M)
    assert re.search(r"^reactions_webhook_oldest_event_age_seconds \d", text, re.M)


def test_a_receiver_that_turned_private_is_refused_at_delivery(private_app: Any) -> None:
    client = private_app.test_client()
    headers = {"Authorization": f"Bearer {private_app.config['TEST_KEY']}"}
    store = private_app.extensions["reactions.store"]
    with receiving() as receiver:
        body = {"url": receiver.url, "events": ["article.milestone"]}
        made = client.post("/v1/sites/demo/webhooks", headers=headers, json=body).get_json()
        client.post(f"/v1/sites/demo/webhooks/{made['id']}/test", headers=headers)
        with private_app.app_context():  # the operator no longer allows private addresses
            worker = Worker(store, get_sites(), (60.0,), allow_private=False)
        worker.queue.ensure_group()
        worker._fan_out(worker.queue.read(worker.consumer, 10, None))
        [delivery] = worker.queue.claim_due(10, 15)
        worker.attempt(delivery)
    assert receiver.got == []
    [shown] = client.get(
        f"/v1/sites/demo/webhooks/{made['id']}/deliveries", headers=headers
    ).get_json()["deliveries"]
    assert shown["status"] == "pending" and shown["attempts"] == 1
    assert "loopback" in shown["last_error"] and shown["last_status"] is None


def test_the_dashboard_page_makes_shows_and_deletes_webhooks(private_app: Any) -> None:
    client = private_app.test_client()
    sign_in(client, private_app.config["TEST_KEY"])
    page = client.get("/dashboard/webhooks").get_data(as_text=True)
    assert "No webhooks yet" in page and 'href="/dashboard/webhooks"' in page
    token = csrf_of(page)
    form = {"url": "http://127.0.0.1:9/h", "events": ["article.milestone"], "milestones": "5, 50"}
    refused = client.post("/dashboard/webhooks", data=form)  # no CSRF token
    assert refused.status_code == 302
    bad = client.post("/dashboard/webhooks", data={**form, "milestones": "0", "csrf": token})
    assert bad.status_code == 400 and "milestones" in bad.get_data(as_text=True)
    made = client.post("/dashboard/webhooks", data={**form, "csrf": token})
    text = made.get_data(as_text=True)
    assert made.status_code == 200 and "whsec_" in text
    [hook] = private_app.extensions["reactions.store"].webhooks.list("demo")
    again = client.get("/dashboard/webhooks").get_data(as_text=True)
    assert "whsec_" not in again and "http://127.0.0.1:9/h" in again and "5, 50" in again
    client.post("/dashboard/webhooks/delete", data={"hook": hook, "csrf": token})
    assert private_app.extensions["reactions.store"].webhooks.list("demo") == {}


def test_an_attempt_connects_to_the_checked_address_not_to_a_new_lookup() -> None:
    # The name does not resolve at all: only the address the check passed is used, so a
    # name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
    with receiving() as receiver:
        port = receiver.server.server_address[1]  # type: ignore[union-attr]
        target = Target("http", "rebound.invalid", port, "/hook?x=1", "127.0.0.1")
        outcome = post(target, b"{}", {"webhook-id": "msg_1"})
    assert outcome.delivered and outcome.status == 200
    assert receiver.got[0].headers["Host"] == f"rebound.invalid:{port}"


def test_a_receiver_that_dribbles_its_answer_is_cut_at_the_timeout() -> None:
    server = socket.create_server(("127.0.0.1", 0))

    def dribble() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        with contextlib.suppress(OSError):
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                conn.send(bytes([byte]))
                time.sleep(0.2)  # each byte well within the socket's timeout
        conn.close()

    threading.Thread(target=dribble, daemon=True).start()
    target = Target("http", "slow.invalid", server.getsockname()[1], "/", "127.0.0.1")
    started = time.monotonic()
    outcome = post(target, b"{}", {}, timeout=0.5)
    took = time.monotonic() - started
    server.close()
    assert not outcome.delivered and outcome.error == "no answer within 0.5 s"
    assert took < 1.5  # 20 bytes of 107 came


@pytest.mark.slow
def test_the_docs_node_check_verifies_our_signature_and_refuses_a_changed_body() -> None:
    # Node as installed, else the one Playwright ships for its driver (every test machine
    # has it: the browser tests need it), so this never skips for want of Node.
    bundled = Path(playwright.__file__).parent / "driver" / "node"
    node = shutil.which("node") or str(bundled)
    assert Path(node).exists(), "no Node: neither installed nor Playwright's"
    text = (ROOT / "docs" / "webhooks.md").read_text()
    code = re.search(r"```js\n(import crypto.*?)```", text, re.S)
    assert code is not None, "the docs' by-hand Node check is gone"
    secret, body = new_secret(), '{"type": "ping", "data": {"site": "demo"}}'
    sent = headers(secret, "msg_1", body.encode(), time.time())
    script = code.group(1) + (
        "const [secret, headers, body] = JSON.parse(process.argv[1]);\n"
        "console.log(verified(secret, headers, Buffer.from(body)),"
        " verified(secret, headers, Buffer.from(body + ' ')));\n"
    )
    out = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps([secret, sent, body])],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    assert out.split() == ["true", "false"]
