"""Every long command shows click's bar under a terminal, and only its result line through a pipe.

Each command runs as an operator runs it: ``flask --app widget ...`` in a process of its
own, against the tests' real Redis, its standard error a pseudo-terminal (python's
``pty``) or a pipe.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import KEYS, ROOT, TEST_ENV

pytestmark = pytest.mark.slow

FLASK = str(Path(ROOT, ".venv", "bin", "flask"))
# label, the bar, "done/total", then the rate: "reindex demo  [####]  300/300  ...  1,234/s"
BAR = re.compile(r"\[[#-]+\]\s+(\d+)/(\d+).*?[\d,]+/s")


def run(args: list[str], redis_url: str, *, terminal: bool) -> tuple[int, str, str]:
    """Run a flask command; return its exit status, standard output and standard error."""
    env = {**os.environ, **TEST_ENV, "REDIS_URL": redis_url, "TERM": "xterm"}
    if not terminal:
        done = subprocess.run(
            [FLASK, "--app", "widget", *args], env=env, capture_output=True, text=True,
            timeout=120, stdin=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    with subprocess.Popen(
        [FLASK, "--app", "widget", *args], env=env, stdout=subprocess.PIPE, stderr=slave,
        stdin=subprocess.DEVNULL, cwd=ROOT,
    ) as process:  # fmt: skip
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal's other end closed: the command ended
                break
            if not chunk:
                break
            seen += chunk
        out = process.stdout.read() if process.stdout else b""
        status = process.wait(timeout=120)
    os.close(master)
    return status, out.decode(), seen.decode(errors="replace")


def test_every_long_command_shows_a_bar_on_a_terminal_and_nothing_through_a_pipe(
    store: Any, make_site: Any, redis_server: Any, tmp_path: Path
) -> None:
    make_site("demo")
    for i in range(300):
        store.set_reaction("demo", f"/p/{i}", f"reader-{i:016d}", KEYS[i % 5], KEYS)
    csv = tmp_path / "in.csv"
    csv.write_text("article,love\n" + "".join(f"/old/{i},{i + 1}\n" for i in range(250)))
    backup = tmp_path / "demo.ndjson"
    commands = [
        (["reindex", "demo"], 300, r"^reindexed 'demo': (300|550) articles"),
        (["import", "demo", str(csv)], 250, r"^imported 250 articles, 31375 reactions$"),
        (["sites", "backup", "demo", "--output", str(backup)], 550,
         r"^backed up site 'demo': 550 articles to "),
        (["sites", "restore", str(backup), "--as", "copy"], 550,
         r"^restored site 'copy': 550 articles, 300 readers"),
        (["sites", "delete", "copy", "--yes"], 550, r"^deleted site 'copy'$"),
        (["demo-data", "--site", "fresh", "--articles", "5", "--readers", "50"], None,
         r"^wrote \d+ reactions to 5 articles of 'fresh'"),
    ]  # fmt: skip
    for args, total, result in commands:
        status, out, err = run(args, redis_server.url, terminal=True)
        assert status == 0, (args, out, err)
        bars = BAR.findall(err)
        assert bars, (args, err)
        done, length = bars[-1]
        assert done == length and (total is None or int(length) == total), (args, err)
        assert re.search(result, out.strip().splitlines()[-1]), (args, out)
        if args[0] == "demo-data":  # it goes, so that the pipe's run makes it again
            run(["sites", "delete", "fresh", "--yes"], redis_server.url, terminal=False)
    for args, _, result in commands:
        status, out, err = run(args, redis_server.url, terminal=False)
        assert status == 0 and err == "", (args, err)
        lines = out.splitlines()
        if args[0] == "demo-data":  # it made the site first, and said so with its key
            assert lines[0].startswith("created site 'fresh'")
            lines = lines[1:]
        assert len(lines) == 1 and re.search(result, lines[0]), (args, out)
