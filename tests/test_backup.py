"""`sites backup` and `sites restore`: a whole site out of one Redis and into another."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import KEYS, zeros
from widget.cli import backup
from widget.cli.backup_file import Writer
from widget.publisher import audit

DAY = 86_400


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def fill(runner: Any, store: Any, tmp_path: Path) -> None:
    """A site with settings, readers who switched and withdrew, days, imports, a closed article."""
    wow = {"key": "wow", "label": "Wow", "emoji": "😮"}
    patch = {"visibility": "threshold", "visibility_threshold": 3, "close_after_days": 400,
             "reactions": [*({"key": k} for k in KEYS), wow]}  # fmt: skip
    assert (
        runner.invoke(args=["sites", "settings", "demo", "--set", json.dumps(patch)]).exit_code == 0
    )
    now = time.time()
    keys = (*KEYS, "wow")
    # In time order, as readers come (the recent index keeps each article's latest).
    for i in sorted(range(40), key=lambda i: -(i % 5)):
        reaction = keys[i % len(keys)]
        store.set_reaction("demo", f"/post/{i % 7}", f"reader-{i:016d}", reaction, keys,
                           title=f"Post {i % 7}", url=f"https://example.com/post/{i % 7}",
                           now=now - (i % 5) * DAY)  # fmt: skip
    store.set_reaction("demo", "/post/1", f"reader-{1:016d}", "hated", keys, now=now)
    store.set_reaction("demo", "/post/2", f"reader-{2:016d}", None, keys, now=now)
    store.articles.update("demo", "/post/3", {"closed": "1", "title": "Closed {one}"})
    store.articles.reset("demo", "/post/6", keys)  # its days stay in the site's series
    store.moves.move("demo", "/post/5", "/post/4", keys)  # /post/5 is an alias now
    csv = tmp_path / "old.csv"
    csv.write_text("article,title,love,wow\n/post/0,,5,1\n/old/page,Old page,7,0\n")
    assert runner.invoke(args=["import", "demo", str(csv)]).exit_code == 0


def snapshot(client: Any, store: Any, key: str) -> dict[str, Any]:
    """Everything of the site that a publisher, a reader or the store holds."""
    get = lambda url: client.get(f"/v1/sites/demo{url}", headers=bearer(key)).get_json()  # noqa: E731
    listed = get("/articles?limit=200")["articles"]
    stored = sorted(
        json.dumps({**a, "readers": sorted(a["readers"].items())}, sort_keys=True)
        for batch in store.backup.batches("demo")
        for a in batch
    )
    return {
        "settings": get("/settings"),
        "listed": listed,
        "by": {
            k: [a["article"] for a in get(f"/articles?sort={k}")["articles"]]
            for k in ("total", "recent", "love", "wow")
        },
        "summary": get("/summary?days=30"),
        "histories": {
            a["article"]: get(f"/history?article={a['article']}&days=30") for a in listed
        },
        "one": {a["article"]: get(f"/article?article={a['article']}") for a in listed},
        "export": client.get("/v1/sites/demo/export?format=csv", headers=bearer(key)).get_data(),
        "stored": stored,
        "audit": get("/audit?limit=200"),
        "webhooks": get("/webhooks"),
        "top": [
            client.get(f"/v1/sites/demo/top?days=30&reaction={r}").get_json()
            for r in ("total", "love")
        ],
        "via_alias": client.get("/v1/sites/demo/reactions?article=/post/5").get_json(),
        "keys": [{**k, "last_used_at": None} for k in get("/keys")["keys"]],
    }


@pytest.mark.slow
def test_backup_of_one_redis_restored_into_a_cluster_is_the_same_site(
    runner: Any, client: Any, store: Any, make_site: Any, cluster_app: Any, tmp_path: Path
) -> None:
    key = make_site("demo")
    fill(runner, store, tmp_path)
    added = runner.invoke(args=["sites", "keys", "demo", "add", "newsdesk", "--role", "viewer"])
    viewer = added.output.split()[-1]
    made = {"url": "https://93.184.215.14/hook", "events": ["digest.daily"]}
    hook = client.post("/v1/sites/demo/webhooks", headers=bearer(key), json=made)
    assert hook.status_code == 201, hook.get_json()
    before = snapshot(client, store, key)
    assert [e["action"] for e in before["audit"]["entries"]] == [
        "webhook.create", "key.create", "import", "settings.update"]  # fmt: skip
    assert [w["id"] for w in before["webhooks"]["webhooks"]] == [hook.get_json()["id"]]
    assert [k["name"] for k in before["keys"]] == ["admin", "newsdesk"]
    path = tmp_path / "demo.ndjson"
    result = runner.invoke(args=["sites", "backup", "demo", "--output", str(path)])
    assert result.exit_code == 0 and "backed up site 'demo': 6 articles" in result.output
    cluster_runner, cluster_store = (
        cluster_app.test_cli_runner(),
        cluster_app.extensions["reactions.store"],
    )
    result = cluster_runner.invoke(args=["sites", "restore", str(path)])
    assert result.exit_code == 0, result.output
    assert "restored site 'demo': 6 articles, 34 readers" in result.output
    cluster = cluster_app.test_client()
    after_restore = snapshot(cluster, cluster_store, key)
    restored_log = after_restore.pop("audit")["entries"]
    assert restored_log[0]["action"] == "restore" and restored_log[0]["actor"] == "cli"
    assert restored_log[1:] == before.pop("audit")["entries"]  # the log, as it was
    assert after_restore == before
    # Every key works on the cluster with its role, and the restore is the log's newest entry.
    assert cluster.get("/v1/sites/demo/summary", headers=bearer(viewer)).status_code == 200
    restored_hook = cluster_store.webhooks.get("demo", hook.get_json()["id"])
    assert restored_hook["secret"] == hook.get_json()["secret"]  # receivers keep verifying
    assert cluster.delete("/v1/sites/demo/reactions?article=/post/0",
                          headers=bearer(viewer)).status_code == 403  # fmt: skip
    # A reader from before switches and withdraws on the cluster as they did on one Redis.
    for backend_store in (store, cluster_store):
        backend_store.set_reaction("demo", "/post/0", f"reader-{0:016d}", "like", (*KEYS, "wow"))
        backend_store.set_reaction("demo", "/post/5", f"reader-{5:016d}", None, (*KEYS, "wow"))
    on_cluster, on_one = snapshot(cluster, cluster_store, key), snapshot(client, store, key)
    on_cluster.pop("audit"), on_one.pop("audit")
    assert on_cluster == on_one
    after = cluster.get("/v1/sites/demo/article?article=/post/0", headers=bearer(key)).get_json()
    assert after["counts"]["love"] == 5 and after["counts"]["like"] == 2  # the imported 5 stay


def test_restore_refuses_a_site_that_exists_and_copies_it_under_another_id(
    runner: Any, client: Any, store: Any, make_site: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    key = make_site("demo")
    fill(runner, store, tmp_path)
    path = tmp_path / "demo.ndjson"
    runner.invoke(args=["sites", "backup", "demo", "--output", str(path)])
    refused = runner.invoke(args=["sites", "restore", str(path)])
    assert refused.exit_code == 1 and "--replace" in refused.output
    recorded: list[tuple[Any, ...]] = []
    monkeypatch.setattr(audit, "record", lambda *args: recorded.append(args))
    result = runner.invoke(args=["sites", "restore", str(path), "--as", "copy"])
    assert result.exit_code == 0 and "no working key" in result.output
    assert recorded == [("copy", "restore", "demo.ndjson", None, {"from": "demo", "articles": 6})]
    assert client.get("/v1/sites/copy/articles", headers=bearer(key)).status_code in (401, 403)
    rotated = runner.invoke(args=["sites", "rotate-key", "copy"]).output.split()[-1]
    copy = client.get("/v1/sites/copy/summary?days=30", headers=bearer(rotated)).get_json()
    mine = client.get("/v1/sites/demo/summary?days=30", headers=bearer(key)).get_json()
    assert {**copy, "site": "demo"} == mine
    piped = runner.invoke(args=["sites", "backup", "demo"])  # to standard output, alone
    assert (
        piped.exit_code == 0 and len(piped.stdout_bytes.splitlines()) == 12
    )  # 6 articles, 2 audit lines
    (tmp_path / "piped.ndjson").write_bytes(piped.stdout_bytes)
    again = runner.invoke(args=["sites", "restore", str(tmp_path / "piped.ndjson"), "--as", "c2"])
    assert again.exit_code == 0 and "restored site 'c2': 6 articles" in again.output
    store.set_reaction("demo", "/post/4", "reader-new-0000000001", "love", (*KEYS, "wow"))
    replaced = runner.invoke(args=["sites", "restore", str(path), "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert client.get("/v1/sites/demo/summary?days=30", headers=bearer(key)).get_json() == mine


def rewrite(path: Path, change: Any) -> Path:
    """Write a copy of a backup whose records ``change`` altered, with a true checksum."""
    lines = [json.loads(line) for line in path.read_text().splitlines()][:-1]
    out = path.with_name("changed.ndjson")
    with out.open("wb") as file:
        writer = Writer(file)
        for record in change(lines):
            writer.write(record)
        writer.end()
    return out


def test_a_file_cut_short_changed_or_of_another_version_restores_nothing(
    runner: Any, store: Any, make_site: Any, redis_client: Any, tmp_path: Path
) -> None:
    make_site("demo")
    store.set_reaction("demo", "/a", "reader-0000000000000001", "love", KEYS)
    path = tmp_path / "demo.ndjson"
    runner.invoke(args=["sites", "backup", "demo", "--output", str(path)])
    runner.invoke(args=["sites", "delete", "demo", "--yes"])
    empty = sorted(redis_client.keys("*"))
    text = path.read_bytes()
    lines = text.splitlines(keepends=True)
    cases = {
        "cut.ndjson": (b"".join(lines[:-1]), "cut short"),
        "mid.ndjson": (text[: len(text) - 30], "not a JSON object"),
        "byte.ndjson": (text.replace(b'"love":1', b'"love":2'), "checksum does not match"),
        "empty.ndjson": (b"", "empty"),
    }
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    newer = rewrite(path, lambda rs: [{**rs[0], "version": 2}, *rs[1:]]).rename(
        tmp_path / "v2.ndjson"
    )
    cases["v2.ndjson"] = (b"", "format version 2; this service reads version 1")
    bad_id = rewrite(path, lambda rs: [*rs[:3], {**rs[3], "id": "a\u0001"}, *rs[4:]])
    bad_id = bad_id.rename(tmp_path / "id.ndjson")
    cases[bad_id.name] = (b"", "line 4: a bad article record (an article id may not hold control")
    order = rewrite(path, lambda rs: [rs[0], rs[3], *rs[1:3], *rs[4:]]).rename(
        tmp_path / "o.ndjson"
    )
    cases[order.name] = (b"", "line 3: a site record out of its section's place")
    unknown = rewrite(path, lambda rs: [*rs, {"kind": "newsletter", "url": "x"}])
    cases[unknown.name] = (b"", "kind 'newsletter', which this service does not know")
    for name, (_, message) in cases.items():
        result = runner.invoke(args=["sites", "restore", str(tmp_path / name)])
        assert result.exit_code == 1 and message in result.output, (name, result.output)
        assert "nothing restored" in result.output
        assert sorted(redis_client.keys("*")) == empty, name
    assert newer.exists()
    restored = runner.invoke(args=["sites", "restore", str(path)])
    assert restored.exit_code == 0, restored.output
    assert store.get_tallies("demo", ["/a"], KEYS)["/a"].counts == zeros(love=1)


def test_an_article_with_many_readers_continues_on_readers_lines(
    runner: Any, store: Any, make_site: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    make_site("demo")
    monkeypatch.setattr(backup, "READERS_PER_LINE", 3)  # 10,000 a line, in the service
    for i in range(8):
        store.set_reaction("demo", "/big", f"reader-{i:016d}", KEYS[i % 2], KEYS)
    path = tmp_path / "demo.ndjson"
    assert runner.invoke(args=["sites", "backup", "demo", "--output", str(path)]).exit_code == 0
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds == ["header", "site", "series", "article", "readers", "readers", "end"]
    result = runner.invoke(args=["sites", "restore", str(path), "--as", "copy"])
    assert result.exit_code == 0 and "1 articles, 8 readers" in result.output
    [[mine]], [[copy]] = store.backup.batches("demo"), store.backup.batches("copy")
    assert copy == mine and len(copy["readers"]) == 8
    store.set_reaction("copy", "/big", f"reader-{7:016d}", None, KEYS)  # the last line's reader
    assert store.get_tallies("copy", ["/big"], KEYS)["/big"].counts == zeros(love=4, like=3)
