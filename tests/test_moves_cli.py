"""``flask --app widget articles move``: one article, a CSV map checked whole, the progress bar.

The map of a site's redesign is checked before the first move: a bad row names its line
and nothing moves. Under a terminal the command draws click's bar on standard error;
through a pipe it prints its result line and nothing else.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import KEYS, ROOT, SECRET, react
from widget.local.redis_server import RedisServer
from widget.store import Store

READERS = [f"reader-{n:012d}" for n in range(3)]


def listed(store: Store) -> list[tuple[str, int]]:
    """Return every article of the demo site that its lists show, with its total."""
    hashes = [h for batch in store.indexes.scan("demo") for h in batch]
    records = store.articles.records("demo", hashes, KEYS)
    return sorted((r.article, r.total) for r in records)


def test_one_move(runner: Any, make_site: Any, store: Store) -> None:
    make_site("demo")
    react(store, READERS[0], "love", "/a")
    react(store, READERS[1], "like", "/b")
    result = runner.invoke(args=["articles", "move", "demo", "/a", "/b"])
    assert result.exit_code == 0, result.output
    assert result.output == "'/a' merged into '/b': 2 reactions\n"
    assert listed(store) == [("/b", 2)]
    again = runner.invoke(args=["articles", "move", "demo", "/a", "/c"])
    assert again.exit_code == 1 and "alias" in again.output
    for args in (["demo", "/b"], ["demo"], ["demo", "/b", "/c", "--map", "-"]):
        assert runner.invoke(args=["articles", "move", *args]).exit_code == 2
    assert "no site" in runner.invoke(args=["articles", "move", "nosuch", "/b", "/c"]).output


def test_a_map_moves_every_row(runner: Any, make_site: Any, store: Store, tmp_path: Path) -> None:
    make_site("demo")
    for n in range(300):
        react(store, READERS[n % 3], "love", f"/old/{n}")
    rows = [f"/old/{n},/new/{n // 2}" for n in range(300)]  # pairs merge into one
    # A chain inside the map: /new/0 (made by rows 1-2) moves on to /final.
    (tmp_path / "moves.csv").write_text("from,to\n" + "\n".join([*rows, "/new/0,/final"]) + "\n")
    result = runner.invoke(args=["articles", "move", "demo", "--map", str(tmp_path / "moves.csv")])
    assert result.exit_code == 0, result.output
    assert result.output == "moved 301 articles of 'demo' (150 merged into one with counts)\n"
    expected = sorted([("/final", 2), *((f"/new/{n}", 2) for n in range(1, 150))])
    assert listed(store) == expected
    assert store.moves.aliases("demo", "/final") == ["/old/0", "/old/1", "/new/0"]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"/a,/b\n/c,/c\n", "line 2: from and to are the same article"),
        (b"/a,/b\n/nobody,/b\n", "line 2: nobody reacted to '/nobody'"),
        (b"/a,/b\n/a,/c\n", "line 2: '/a' is moved by line 1"),
        (b"/a,/b\n/b,/a\n", "line 2: '/a' is an alias of '/b'"),
        (b"from,to\n/a,/b,/c\n", "line 2: a row is two fields"),
        (b"/a,/b\n,/b\n", "line 2: an article id must be a non-empty string"),
        (b"/a,/b\n/\xff,/b\n", "line 2: not UTF-8"),
    ],
)
def test_a_bad_row_is_named_and_nothing_moves(
    runner: Any, make_site: Any, store: Store, tmp_path: Path, content: bytes, named: str
) -> None:
    make_site("demo")
    react(store, READERS[0], "love", "/a")
    react(store, READERS[1], "like", "/c")
    (tmp_path / "moves.csv").write_bytes(content)
    result = runner.invoke(args=["articles", "move", "demo", "--map", str(tmp_path / "moves.csv")])
    assert result.exit_code == 1
    assert named in result.output and "nothing was moved" in result.output
    assert listed(store) == [("/a", 1), ("/c", 1)]
    assert store.moves.resolve("demo", "/a") is None


def _command(redis_server: RedisServer, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    moves = tmp_path / "moves.csv"
    moves.write_text("".join(f"/old/{n},/new/{n}\n" for n in range(200)))
    env = {"PATH": os.environ["PATH"], "REDIS_URL": redis_server.url, "SECRET_KEY": SECRET}
    flask = [sys.executable, "-m", "flask", "--app", "widget"]
    return [*flask, "articles", "move", "demo", "--map", str(moves)], env


def _site_with_articles(make_site: Any, store: Store) -> None:
    make_site("demo")
    for n in range(200):
        react(store, READERS[0], "love", f"/old/{n}")


@pytest.mark.slow
def test_through_a_pipe_only_the_result_line(
    redis_server: RedisServer, make_site: Any, store: Store, tmp_path: Path
) -> None:
    _site_with_articles(make_site, store)
    command, env = _command(redis_server, tmp_path)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"moved 200 articles of 'demo' (0 merged into one with counts)\n"
    assert result.stderr == b""


def run_in_pty(command: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run a command with its standard error on a pseudo-terminal; return its status, its
    standard output and what the terminal showed."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=follower
    ) as process:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end closed: the process is done with it
                break
            if not chunk:
                break
            seen += chunk
        out, _ = process.communicate(timeout=60)
    os.close(leader)
    return process.returncode, out, seen


@pytest.mark.slow
def test_under_a_terminal_a_bar_with_a_count_and_a_rate(
    redis_server: RedisServer, make_site: Any, store: Store, tmp_path: Path
) -> None:
    _site_with_articles(make_site, store)
    command, env = _command(redis_server, tmp_path)
    status, out, terminal = run_in_pty(command, env)
    assert status == 0, terminal
    shown = terminal.decode()
    assert "moving articles" in shown and "200/200" in shown and "/s" in shown, shown
    assert out == b"moved 200 articles of 'demo' (0 merged into one with counts)\n"
