"""The store's side of webhooks, on one Redis and on a cluster: milestones queued by the
reaction's own call, a site's webhooks kept whole (secrets too) for a backup, deliveries
made once however often their event is read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import react
from widget.store import keys

pytestmark = pytest.mark.on_cluster_too


def events(redis_client: Any) -> list[dict[str, Any]]:
    return [json.loads(f["data"]) for _, f in redis_client.xrange(keys.EVENTS_STREAM)]


def test_a_milestone_is_queued_once_on_either_topology(store: Any, redis_client: Any) -> None:
    for reader in range(1, 4):
        react(store, f"reader-{reader:012d}", "love", milestones=(2, 3))
    react(store, "reader-000000000003", None, milestones=(2, 3))  # back to 2
    react(store, "reader-000000000004", "like", milestones=(2, 3))  # 3 again
    assert [(e["milestone"], e["counts"]["love"]) for e in events(redis_client)] == [(2, 2), (3, 3)]
    react(store, "reader-000000000005", "like")  # no milestones given: nothing watched
    react(store, "reader-000000000006", "like", milestones=(5,))  # 5: first time
    assert [e["milestone"] for e in events(redis_client)] == [2, 3, 5]


def test_webhooks_are_listed_whole_for_a_backup_and_put_back(store: Any) -> None:
    record = {"url": "https://example.com/h", "events": ["digest.daily"], "milestones": [10],
              "secret": "whsec_AAAA", "created_at": "2026-12-06T00:00:00Z"}  # fmt: skip
    assert store.webhooks.put("demo", "wh_one", record, most=1)
    assert not store.webhooks.put("demo", "wh_two", record, most=1)  # the site's most
    assert store.webhooks.list("demo") == {"wh_one": record}
    assert store.webhooks.sites() == ["demo"]
    assert store.webhooks.delete("demo", "wh_one") and store.webhooks.sites() == []


def test_a_delivery_is_made_once_however_often_its_event_is_read(store: Any) -> None:
    fields = {"id": "msg_1", "hook": "wh_one", "status": "pending", "body": "{}"}
    assert store.webhook_queue.new_delivery("msg_1", "wh_one", fields)
    assert not store.webhook_queue.new_delivery("msg_1", "wh_one", {**fields, "body": "x"})
    assert store.webhook_queue.claim_due(10, 60) == ["msg_1"]
    assert store.webhook_queue.claim_due(10, 60) == []  # claimed: no other worker takes it
    assert [d["body"] for d in store.webhook_queue.log("wh_one", 10)] == ["{}"]
    store.webhook_queue.drop_webhook("wh_one")
    assert store.webhook_queue.log("wh_one", 10) == [] and store.webhook_queue.depth()[1] == 0


def test_events_a_dead_worker_read_are_taken_over_and_none_is_lost(
    store: Any, redis_client: Any
) -> None:
    queue = store.webhook_queue
    queue.ensure_group()
    for reader in range(1, 4):  # milestones 1, 2, 3
        react(store, f"reader-{reader:012d}", "love", milestones=(1, 2, 3))
    read = queue.read("killed-worker", 2, None)  # read, never acknowledged: it died
    assert len(read) == 2
    assert queue.claim_stale("next-worker", idle_ms=60_000) == []  # not idle long enough yet
    taken = queue.claim_stale("next-worker", idle_ms=0)
    rest = queue.read("next-worker", 10, None)
    assert [i for i, _ in taken] == [i for i, _ in read] and len(rest) == 1
    queue.done([i for i, _ in [*taken, *rest]])
    assert queue.depth()[0] == 0 and queue.read("next-worker", 10, None) == []
    assert redis_client.xpending(keys.EVENTS_STREAM, "workers")["pending"] == 0
