"""The audit log: each kind of change, through each door, is one entry with the right
actor and fields; a refused or empty change is none; paging covers every entry once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.helpers import KEYS, app_config
from tests.test_dashboard import csrf_of
from tests.test_keys import add_key, bearer, dashboard_sign_in
from tests.test_settings_dashboard import article_form, form_of
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.publisher.audit import record, set_actor
from widget.sites import key_digest

READER = "reader-0123456789abcdef"
AUDIT = "/v1/sites/demo/audit"


def entries(client: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    res = client.get(AUDIT, query_string=params, headers=bearer(key))
    assert res.status_code == 200, res.get_json()
    return list(res.get_json()["entries"])


class Log:
    """The demo site's audit log as its API pages it, and what was added since last asked."""

    def __init__(self, client: Any, key: str) -> None:
        self.client, self.key, self.seen = client, key, 0

    def new(self) -> list[dict[str, Any]]:
        everything = entries(self.client, self.key, limit=200)
        added = everything[: len(everything) - self.seen]
        self.seen = len(everything)
        return added

    def one(self, **expected: Any) -> dict[str, Any]:
        added = self.new()
        assert len(added) == 1, added
        (entry,) = added
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["at"])
        for name, value in expected.items():
            assert entry[name] == value, (name, entry)
        return entry


@pytest.fixture
def site(client: Any, store: Any, make_site: Callable[..., str]) -> dict[str, str]:
    """The demo site with an article a1 and an admin and an editor key."""
    admin = make_site("demo", name="Demo")
    editor = add_key(client, admin, "desk", "editor")
    store.set_reaction("demo", "a1", READER, "love", KEYS, title="Old", url="https://e.com/a")
    return {"admin": admin, "editor": editor}


@pytest.mark.on_cluster_too
def test_each_api_change_is_one_entry_by_its_key(client: Any, site: dict[str, str]) -> None:
    log = Log(client, site["admin"])
    log.one(actor="admin", action="key.create", target="desk", before=None,
            after={"name": "desk", "role": "editor"})  # fmt: skip
    editor = bearer(site["editor"])
    assert (
        client.patch("/v1/sites/demo/settings", json={"name": "New"}, headers=editor).status_code
        == 200
    )
    log.one(actor="desk", action="settings.update", target=None, before={"name": "Demo"},
            after={"name": "New"})  # fmt: skip
    # The same again, and a refused change: no entry.
    assert (
        client.patch("/v1/sites/demo/settings", json={"name": "New"}, headers=editor).status_code
        == 200
    )
    assert (
        client.patch("/v1/sites/demo/settings", json={"name": 7}, headers=editor).status_code == 400
    )
    assert log.new() == []
    url = "/v1/sites/demo/article?article=a1"
    body = {"title": "T2", "url": "https://e.com/b", "closed": True}
    assert client.patch(url, json=body, headers=editor).status_code == 200
    log.one(actor="desk", action="article.update", target="a1",
            before={"title": "Old", "url": "https://e.com/a", "closed": False},
            after={"title": "T2", "url": "https://e.com/b", "closed": True})  # fmt: skip
    assert (
        client.patch(url, json={"closed": True, "title": "T2"}, headers=editor).status_code == 200
    )
    assert (
        client.patch("/v1/sites/demo/article?article=zz", json=body, headers=editor).status_code
        == 404
    )
    assert log.new() == []
    assert client.delete("/v1/sites/demo/reactions?article=a1", headers=editor).status_code == 204
    entry = log.one(actor="desk", action="article.reset", target="a1", after=None)
    assert entry["before"]["total"] == 1 and entry["before"]["counts"]["love"] == 1
    assert client.delete("/v1/sites/demo/reactions?article=a1", headers=editor).status_code == 204
    assert log.new() == []  # nothing was left to reset
    viewer = add_key(client, site["admin"], "intern", "viewer")
    log.one(actor="admin", action="key.create", target="intern")
    assert (
        client.patch(
            "/v1/sites/demo/settings", json={"name": "X"}, headers=bearer(viewer)
        ).status_code
        == 403
    )
    assert client.delete("/v1/sites/demo/keys/intern", headers=editor).status_code == 403
    assert log.new() == []
    assert (
        client.delete("/v1/sites/demo/keys/intern", headers=bearer(site["admin"])).status_code
        == 204
    )
    log.one(actor="admin", action="key.revoke", target="intern",
            before={"name": "intern", "role": "viewer"}, after=None)  # fmt: skip


def test_a_reaction_set_change_logs_only_the_reactions_that_changed(
    client: Any, site: dict[str, str]
) -> None:
    log = Log(client, site["admin"])
    log.new()
    settings = client.get("/v1/sites/demo/settings", headers=bearer(site["admin"])).get_json()
    reactions = settings["reactions"]
    reactions[0] = {**reactions[0], "label": "Adore"}
    res = client.patch("/v1/sites/demo/settings", json={"reactions": reactions},
                       headers=bearer(site["editor"]))  # fmt: skip
    assert res.status_code == 200
    entry = log.one(action="settings.update")
    assert [r["label"] for r in entry["before"]["reactions"]] == ["Love It"]
    assert [r["label"] for r in entry["after"]["reactions"]] == ["Adore"]


@pytest.mark.on_cluster_too
def test_each_dashboard_change_is_one_entry_by_the_signed_in_key(
    app: Any, client: Any, site: dict[str, str]
) -> None:
    log = Log(client, site["admin"])
    log.new()
    browser = app.test_client()
    dashboard_sign_in(browser, site["editor"])
    html = browser.get("/dashboard/settings").get_data(as_text=True)
    form = form_of(html) | {"csrf": csrf_of(html), "visibility": "threshold"}
    assert browser.post("/dashboard/settings", data=form).status_code == 302
    log.one(actor="desk", action="settings.update", before={"visibility": "always"},
            after={"visibility": "threshold"})  # fmt: skip
    assert browser.post("/dashboard/settings", data=form).status_code == 302  # the same again
    assert log.new() == []
    html = browser.get("/dashboard/article?article=a1").get_data(as_text=True)
    fields = article_form(html) | {"title": "Dashboard title"}
    assert browser.post("/dashboard/article/edit", data=fields).status_code == 302
    log.one(actor="desk", action="article.update", target="a1", before={"title": "Old"},
            after={"title": "Dashboard title"})  # fmt: skip
    closing = {"csrf": fields["csrf"], "article": "a1", "closed": "1"}
    assert browser.post("/dashboard/article/closed", data=closing).status_code == 302
    log.one(actor="desk", action="article.update", before={"closed": False}, after={"closed": True})
    reset = {"csrf": fields["csrf"], "article": "a1"}
    assert browser.post("/dashboard/reset", data=reset).status_code == 302
    log.one(actor="desk", action="article.reset", target="a1")
    assert browser.post("/dashboard/reset", data=reset).status_code == 302
    assert browser.post("/dashboard/reset", data={**reset, "csrf": "stale"}).status_code == 302
    assert log.new() == []


def test_each_command_line_change_is_one_entry_by_cli(
    runner: Any, client: Any, site: dict[str, str]
) -> None:
    log = Log(client, site["admin"])
    log.new()

    def run(*args: str) -> str:
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return str(result.output)

    run("sites", "settings", "demo", "--set", '{"visibility_threshold": 3}')
    log.one(actor="cli", action="settings.update", before={"visibility_threshold": 10},
            after={"visibility_threshold": 3})  # fmt: skip
    run("sites", "settings", "demo", "--set", '{"visibility_threshold": 3}')
    assert runner.invoke(args=["sites", "settings", "demo", "--set", '{"x": 1}']).exit_code == 1
    assert log.new() == []
    run("sites", "set-origins", "demo", "https://example.com")
    log.one(actor="cli", action="settings.update", before={"origins": []},
            after={"origins": ["https://example.com"]})  # fmt: skip
    run("sites", "keys", "demo", "add", "night", "--role", "viewer")
    log.one(
        actor="cli", action="key.create", target="night", after={"name": "night", "role": "viewer"}
    )
    run("sites", "keys", "demo", "revoke", "night")
    log.one(actor="cli", action="key.revoke", target="night")
    assert runner.invoke(args=["sites", "keys", "demo", "revoke", "night"]).exit_code == 1
    assert log.new() == []
    new_admin = run("sites", "rotate-key", "demo").strip().splitlines()[-1]
    log.key = new_admin
    log.one(actor="cli", action="key.rotate", target="admin", before=None, after=None)
    secret = run("sites", "signing-secret", "demo", "--rotate").strip().splitlines()[-1]
    entry = log.one(actor="cli", action="signing_secret.rotate", before=None, after=None)
    everything = json.dumps(entries(client, new_admin, limit=200))
    for kept_out in (secret, new_admin, key_digest(new_admin), site["editor"], "rk_"):
        assert kept_out not in everything
    assert entry["target"] is None


@pytest.mark.on_cluster_too
def test_paging_covers_every_entry_once_newest_first(
    client: Any, runner: Any, site: dict[str, str]
) -> None:
    for i in range(23):
        runner.invoke(
            args=["sites", "settings", "demo", "--set", json.dumps({"visibility_threshold": i + 1})]
        )
    everything = entries(client, site["editor"], limit=200)
    assert len(everything) == 24  # and the key made for the fixture
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        res = client.get(AUDIT, query_string=params, headers=bearer(site["editor"]))
        page = res.get_json()
        assert len(page["entries"]) <= 5
        seen += page["entries"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    thresholds = [
        e["after"]["visibility_threshold"] for e in seen if e["action"] == "settings.update"
    ]
    assert thresholds == list(range(23, 0, -1))  # newest first


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=x", "cursor=nope", "cursor=1-", "x=1"]
)
def test_a_bad_page_request_is_400(client: Any, site: dict[str, str], query: str) -> None:
    res = client.get(f"{AUDIT}?{query}", headers=bearer(site["editor"]))
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "bad_request"


def test_the_activity_page_lists_the_entries_and_filters_by_action(
    app: Any, client: Any, runner: Any, site: dict[str, str]
) -> None:
    runner.invoke(args=["sites", "settings", "demo", "--set", '{"name": "Renamed"}'])
    viewer = add_key(client, site["admin"], "intern", "viewer")
    browser = app.test_client()
    dashboard_sign_in(browser, viewer)
    html = browser.get("/dashboard/activity").get_data(as_text=True)
    rows = re.findall(r'<tr data-action="([^"]+)">', html)
    assert rows == ["key.create", "settings.update", "key.create"]
    assert "Renamed" in html and "intern" in html
    html = browser.get("/dashboard/activity?action=settings.update").get_data(as_text=True)
    assert re.findall(r'<tr data-action="([^"]+)">', html) == ["settings.update"]
    html = browser.get("/dashboard/activity?action=import").get_data(as_text=True)
    assert "<tr data-action" not in html and "No <code>import</code> entries" in html
    assert browser.get("/dashboard/activity?cursor=junk").status_code == 200


def test_a_filtered_page_reads_a_bounded_part_of_the_log(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    app = create_app(app_config(redis_server))
    with app.app_context():
        get_sites().create("demo", "Demo", [])
        audit = app.extensions["reactions.store"].audit
        for _ in range(120):
            audit.add("demo", {"actor": "cli", "action": "settings.update"})
        audit.add("demo", {"actor": "cli", "action": "import"})
        for _ in range(30):
            audit.add("demo", {"actor": "cli", "action": "settings.update"})
        page = audit.page("demo", 10, None, "import")
        assert [d["action"] for _, d in page.entries] == ["import"] and page.next_cursor is None
        first = audit.page("demo", 100, None, "settings.update")
        second = audit.page("demo", 100, first.next_cursor, "settings.update")
        assert len(first.entries) == 100 and len(second.entries) == 50
        assert second.next_cursor is None
    app.extensions["reactions.store"].client.close()


def test_an_entry_takes_a_few_hundred_bytes(
    app: Any, client: Any, redis_client: redis.Redis, site: dict[str, str]
) -> None:
    editor = bearer(site["editor"])
    body = {"title": "A title of some length, number 0", "closed": True}
    assert (
        client.patch("/v1/sites/demo/article?article=a1", json=body, headers=editor).status_code
        == 200
    )
    (made,) = entries(client, site["editor"], limit=1)
    with app.test_request_context():  # the same entry again, as that PATCH wrote it, faster
        set_actor(made["actor"])
        for i in range(1, 250):
            before = {"title": f"A title of some length, number {i - 1}", "closed": i % 2 == 1}
            after = {"title": f"A title of some length, number {i}", "closed": i % 2 == 0}
            record("demo", made["action"], made["target"], before, after)
    used = redis_client.memory_usage("rx:s:{demo}:audit", samples=0)
    assert redis_client.xlen("rx:s:{demo}:audit") == 251
    per_entry = used / 251
    assert per_entry < 400, per_entry  # docs/keys.md gives the figure


def test_a_deleted_site_takes_its_log_and_keys_along(
    client: Any, runner: Any, redis_client: redis.Redis, site: dict[str, str]
) -> None:
    assert client.get("/v1/sites/demo/keys", headers=bearer(site["admin"])).status_code == 200
    assert runner.invoke(args=["sites", "delete", "demo", "--yes"]).exit_code == 0
    assert not [k for k in redis_client.keys("*") if "demo" in k]
    created = runner.invoke(args=["sites", "create", "demo"])
    admin = created.output.strip().rsplit(" ", 1)[-1]
    assert entries(client, admin) == []
    assert client.get("/v1/sites/demo/summary", headers=bearer(site["editor"])).status_code == 401


def test_a_backup_reads_every_entry_and_a_restore_puts_them_back_as_they_were(
    app: Any, client: Any, runner: Any, site: dict[str, str]
) -> None:
    store = app.extensions["reactions.store"]
    for i in range(450):  # more than two batches
        store.audit.add("demo", {"actor": "cli", "action": "settings.update", "n": i})
    every = list(store.audit.every("demo"))
    assert len(every) == 451 and every[0][1]["action"] == "key.create"
    for entry_id, entry in every:
        store.audit.put("copy", entry_id, entry)
    assert list(store.audit.every("copy")) == every


def test_a_long_value_is_logged_as_its_size(app: Any, client: Any, site: dict[str, str]) -> None:
    with app.test_request_context():
        record("demo", "import", "file.csv", None, {"rows": "x" * 5000, "articles": 3})
    (entry,) = entries(client, site["admin"], limit=1)
    assert entry["after"] == {"rows": {"omitted_chars": 5002}, "articles": 3}
