"""`flask --app widget import`: counts from the export's CSV, Waline and Artalk, checked whole."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import KEYS, ROOT, zeros
from widget.publisher import audit

pytestmark = pytest.mark.on_cluster_too

DATA = ROOT / "tests" / "data"
BASE = "/v1/sites/demo"
HEADER = "article,title,url,love,like,want,had,hated,total,first_reaction_at,last_reaction_at\n"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def write(tmp_path: Path, text: str | bytes, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def article(client: Any, key: str, name: str) -> dict[str, Any]:
    answer = client.get(f"{BASE}/article", query_string={"article": name}, headers=bearer(key))
    assert answer.status_code == 200, answer.get_json()
    return dict(answer.get_json())


def snapshot(client: Any, key: str) -> dict[str, Any]:
    """Everything a publisher sees of the site's counts: lists, summary, export, history."""
    listed = client.get(f"{BASE}/articles?limit=200", headers=bearer(key)).get_json()
    summary = client.get(f"{BASE}/summary?days=2", headers=bearer(key)).get_json()
    exported = client.get(f"{BASE}/export?format=csv", headers=bearer(key)).get_data(as_text=True)
    histories = {
        a["article"]: client.get(
            f"{BASE}/history", query_string={"article": a["article"], "days": 2},
            headers=bearer(key),
        ).get_json()
        for a in listed["articles"]
    }  # fmt: skip
    by_love = client.get(f"{BASE}/articles?sort=love", headers=bearer(key)).get_json()
    return {"listed": listed, "summary": summary, "export": exported, "histories": histories,
            "by_love": [a["article"] for a in by_love["articles"]]}  # fmt: skip


def test_csv_import_counts_everywhere_and_twice_is_once(
    runner: Any, client: Any, make_site: Any, tmp_path: Path
) -> None:
    key = make_site("demo")
    path = write(tmp_path, HEADER + "/a,Story A,https://example.com/a,5,0,1,0,0,6,,\n"
                 "/b,,,0,2,0,0,0,2,,\n'=c,,,0,0,0,0,9,9,,\n")  # fmt: skip
    result = runner.invoke(args=["import", "demo", path])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "imported 3 articles, 17 reactions"
    a = article(client, key, "/a")
    assert a["counts"] == zeros(love=5, want=1) and a["title"] == "Story A"
    assert a["url"] == "https://example.com/a" and a["first_reaction_at"]
    assert article(client, key, "=c")["counts"] == zeros(hated=9)  # the export's guard undone
    once = snapshot(client, key)
    assert once["summary"]["counts"] == zeros(love=5, like=2, want=1, hated=9)
    assert once["summary"]["days"][-1]["counts"] == zeros(love=5, like=2, want=1, hated=9)
    assert once["by_love"][0] == "/a"
    assert once["histories"]["/a"]["days"][-1]["counts"] == zeros(love=5, want=1)
    counts = client.get("/v1/sites/demo/reactions?article=/a&article=/b").get_json()
    assert counts["articles"]["/b"]["counts"] == zeros(like=2)
    # The top list counts them on the day of the import, as the history does (only /a has
    # a title); importing again moves nothing.
    top = client.get("/v1/sites/demo/top?days=1").get_json()["articles"]
    assert [(a["article"], a["count"]) for a in top] == [("/a", 6)]
    result = runner.invoke(args=["import", "demo", path])
    assert result.exit_code == 0, result.output
    assert snapshot(client, key) == once
    redis_client = client.application.extensions["reactions.store"].client
    ranks = {
        key.rsplit(":", 1)[1]: dict(redis_client.zrange(key, 0, -1, withscores=True))
        for key in redis_client.keys("rx:s:{demo}:day:*")
    }
    assert ranks == {  # scored minus the day's change; 5 + 1 for /a's total, once
        "total": {"/a": -6, "/b": -2, "=c": -9}, "love": {"/a": -5}, "want": {"/a": -1},
        "like": {"/b": -2}, "hated": {"=c": -9}}  # fmt: skip


def test_a_reader_adds_on_top_and_a_reimport_enters_the_difference(
    runner: Any, client: Any, make_site: Any, store: Any, tmp_path: Path
) -> None:
    key = make_site("demo")
    runner.invoke(args=["import", "demo", write(tmp_path, "article,love\n/a,5\n")])
    store.set_reaction("demo", "/a", "reader-000000000001", "love", KEYS)
    store.set_reaction("demo", "/a", "reader-000000000002", "like", KEYS)
    assert article(client, key, "/a")["counts"] == zeros(love=6, like=1)
    result = runner.invoke(args=["import", "demo", write(tmp_path, "article,love\n/a,2\n")])
    assert result.exit_code == 0, result.output
    assert article(client, key, "/a")["counts"] == zeros(love=3, like=1)
    history = client.get(f"{BASE}/history?article=/a&days=1", headers=bearer(key)).get_json()
    assert history["days"][-1]["counts"] == zeros(love=3, like=1)  # 5 + 1 + 1 - 3
    store.set_reaction("demo", "/a", "reader-000000000001", None, KEYS)  # withdraws
    assert article(client, key, "/a")["counts"] == zeros(love=2, like=1)
    summary = client.get(f"{BASE}/summary?days=1", headers=bearer(key)).get_json()
    assert summary["counts"] == zeros(love=2, like=1) and summary["total"] == 3


def test_a_bad_file_names_each_bad_line_and_writes_nothing(
    runner: Any, make_site: Any, redis_client: Any, tmp_path: Path
) -> None:
    make_site("demo")
    before = sorted(redis_client.keys("*"))
    rows = (b"article,love,like\n/ok,1,2\n/neg,-1,0\n/frac,1.5,0\n,1,1\n/ok,3,3\n"
            b"/bytes\xff\xfe,1,1\n/short,1\n/ctl\x01,1,1\n")  # fmt: skip
    result = runner.invoke(args=["import", "demo", write(tmp_path, rows)])
    assert result.exit_code == 1
    for line, what in [(3, "'-1' is not a count"), (4, "'1.5' is not a count"),
                       (5, "article id"), (6, "also on line 2"), (7, "not UTF-8"),
                       (8, "2 cells where the header has 3"), (9, "control")]:  # fmt: skip
        assert f"line {line}: " in result.output and what in result.output, result.output
    assert "line 2:" not in result.output and "nothing imported" in result.output
    unknown = runner.invoke(args=["import", "demo", write(tmp_path, "article,meh\n/a,1\n")])
    assert unknown.exit_code == 1 and "column 'meh' is not a reaction" in unknown.output
    assert sorted(redis_client.keys("*")) == before


def test_dry_run_only_checks_and_map_names_columns(
    runner: Any, client: Any, make_site: Any, redis_client: Any, tmp_path: Path
) -> None:
    key = make_site("demo")
    path = write(tmp_path, "article,up,down\n/a,4,1\n")
    before = sorted(redis_client.keys("*"))
    half = runner.invoke(args=["import", "demo", path, "--map", "up=like"])
    assert half.exit_code == 1 and "column 'down' is not a reaction" in half.output
    dry = ["import", "demo", path, "--map", "up=like,down=hated", "--dry-run"]
    result = runner.invoke(args=dry)
    assert result.exit_code == 0 and "checked 1 articles, 5 reactions" in result.output
    assert sorted(redis_client.keys("*")) == before
    bad = runner.invoke(args=["import", "demo", path, "--map", "up=nope"])
    assert bad.exit_code == 1 and "'nope' is not a reaction" in bad.output
    result = runner.invoke(args=["import", "demo", path, "--map", "up=like,down=hated"])
    assert result.exit_code == 0 and "imported 1 articles, 5 reactions" in result.output
    assert article(client, key, "/a")["counts"] == zeros(like=4, hated=1)


def test_the_export_imports_into_another_site(
    runner: Any, client: Any, make_site: Any, store: Any, tmp_path: Path
) -> None:
    key, other = make_site("demo"), make_site("other")
    for i, reaction in enumerate(["love", "love", "had", "want"]):
        store.set_reaction("other", f"/p{i % 2}", f"reader-{i:016d}", reaction, KEYS,
                           title=f"P{i % 2}", url=f"https://example.com/p{i % 2}")  # fmt: skip
    exported = client.get("/v1/sites/other/export?format=csv", headers=bearer(other))
    result = runner.invoke(args=["import", "demo", write(tmp_path, exported.get_data())])
    assert result.exit_code == 0 and "imported 2 articles, 4 reactions" in result.output
    theirs = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    ours = client.get(f"{BASE}/export?format=csv", headers=bearer(key)).get_data(as_text=True)
    ignored = ("first_reaction_at", "last_reaction_at")

    def strip(rows: Any) -> list[tuple[tuple[str, str], ...]]:
        return sorted(tuple((k, v) for k, v in r.items() if k not in ignored) for r in rows)

    assert strip(csv.DictReader(io.StringIO(ours))) == strip(theirs)


def test_waline_database(runner: Any, client: Any, make_site: Any, tmp_path: Path,
                         monkeypatch: Any) -> None:  # fmt: skip
    key = make_site("demo")
    recorded: list[tuple[Any, ...]] = []
    monkeypatch.setattr(audit, "record", lambda *args: recorded.append(args))
    db = tmp_path / "waline.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript((DATA / "waline_counter.sql").read_text())
    result = runner.invoke(args=["import", "demo", str(db), "--format", "waline",
                                 "--map", "reaction0=love,reaction1=like"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "reaction2 is in no --map: its 3 reactions are left out" in result.output
    assert "imported 3 articles, 24 reactions" in result.output  # /posts/quiet.html: none
    assert article(client, key, "/posts/hello-world.html")["counts"] == zeros(love=12, like=3)
    assert client.get(f"{BASE}/article?article=/posts/quiet.html",
                      headers=bearer(key)).status_code == 404  # fmt: skip
    assert recorded == [("demo", "import", "waline.sqlite", None,
                         {"format": "waline", "articles": 3, "reactions": 24})]  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.execute("""UPDATE wl_Counter SET reaction1 = -2 WHERE url = '/about/'""")
    bad = runner.invoke(args=["import", "demo", str(db), "--format", "waline",
                              "--map", "reaction0=love,reaction1=like"])  # fmt: skip
    assert bad.exit_code == 1 and "row id 4: -2 is not a count" in bad.output
    assert len(recorded) == 1


def test_artalk_pages_through_csv_and_map(
    runner: Any, client: Any, make_site: Any, tmp_path: Path
) -> None:
    """docs/moving.md's way from Artalk: its pages table to CSV with sqlite3, then --map."""
    key = make_site("demo")
    db = sqlite3.connect(":memory:")
    db.executescript((DATA / "artalk_pages.sql").read_text())
    query = (DATA.parent.parent / "docs" / "moving.md").read_text().split("```sql\n")[1]
    rows = db.execute(query.split("```")[0]).fetchall()
    names = [d[0] for d in db.execute(query.split("```")[0]).description]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([names, *rows])
    path = write(tmp_path, buffer.getvalue())
    result = runner.invoke(args=["import", "demo", path, "--map", "vote_up=like,vote_down=hated"])
    assert result.exit_code == 0 and "imported 2 articles, 60 reactions" in result.output
    hello = article(client, key, "/posts/hello/")
    assert hello["counts"] == zeros(like=41, hated=2) and hello["title"] == "Hello, world"
    assert hello["url"] == "https://blog.example.com/posts/hello/"


def test_an_import_may_pass_the_article_ceiling_and_says_so(
    app: Any, runner: Any, make_site: Any, tmp_path: Path
) -> None:
    make_site("demo")
    app.config["MAX_ARTICLES_PER_SITE"] = 2
    path = write(tmp_path, "article,love\n/a,1\n/b,1\n/c,1\n")
    result = runner.invoke(args=["import", "demo", path])
    assert result.exit_code == 0 and "imported 3 articles, 3 reactions" in result.output
    assert "now holds 3 articles, over MAX_ARTICLES_PER_SITE (2)" in result.output


def test_imported_counts_move_with_their_article_and_an_alias_takes_no_import(
    runner: Any, client: Any, make_site: Any, store: Any, tmp_path: Path
) -> None:
    key = make_site("demo")
    runner.invoke(
        args=["import", "demo", write(tmp_path, "article,love,like\n/old,5,1\n/new,2,0\n")]
    )
    store.set_reaction("demo", "/old", "reader-000000000001", "love", KEYS)
    store.set_reaction("demo", "/new", "reader-000000000002", "like", KEYS)
    moved = runner.invoke(args=["articles", "move", "demo", "/old", "/new"])
    assert moved.exit_code == 0, moved.output
    assert article(client, key, "/new")["counts"] == zeros(love=8, like=2)
    # The imported part moved too: importing /new again replaces both imports (5+1 and 2).
    again = runner.invoke(args=["import", "demo", write(tmp_path, "article,love,like\n/new,1,0\n")])
    assert again.exit_code == 0, again.output
    assert article(client, key, "/new")["counts"] == zeros(love=2, like=1)  # 1 + the 2 readers
    # An alias is no article: a row naming it is refused, and nothing of the file is written.
    before = snapshot(client, key)
    refused = runner.invoke(
        args=["import", "demo", write(tmp_path, "article,love\n/other,4\n/old,3\n")]
    )
    assert refused.exit_code == 1 and "'/old' was moved to '/new'" in refused.output
    assert snapshot(client, key) == before
