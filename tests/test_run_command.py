"""The run command's engine: its own Redis, a demo site, gunicorn, and counts kept on restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import ROOT
from widget.local.redis_server import free_port

# Each test starts processes of its own (redis-server, gunicorn, the run command).
pytestmark = pytest.mark.slow


def start(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m widget.local.run` and return it with what it printed up to 'Stop:'."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SECRET_KEY"}}
    env.update({"DATA_DIR": str(data_dir), "PORT": str(port), "WEB_CONCURRENCY": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "widget.local.run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    printed = ""
    for line in process.stdout:
        printed += line
        if line.startswith("Stop:"):
            break
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).raise_for_status()
            return process, printed
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the service did not come up:\n{printed}")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    out, _ = process.communicate(timeout=30)
    return out


def test_run_command_serves_the_demo_and_keeps_counts_across_restarts(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, printed = start(tmp_path, port)
    try:
        assert f"{base}/demo" in printed and "append-only file on" in printed
        assert "demo API key (created now): rk_" in printed
        assert (tmp_path / "demo-api-key").read_text().startswith("rk_")
        page = requests.get(f"{base}/demo", timeout=5)
        assert page.status_code == 200 and "Sony flip-flops" in page.text
        assert "embed.js" in page.text
        assert requests.get(f"{base}/static/embed.js", timeout=5).status_code == 200
        body = {"article": "sony-flip-flops", "reader": "reader-run-command-01", "reaction": "love"}
        answer = requests.post(f"{base}/v1/sites/demo/reactions", json=body, timeout=5).json()
        assert answer["counts"]["love"] >= 1
        loves = answer["counts"]["love"]
        children = subprocess.run(
            ["ps", "--ppid", str(process.pid), "-o", "pid=,args="], capture_output=True, text=True
        ).stdout.splitlines()
        [worker] = [int(c.split()[0]) for c in children if "webhooks work" in c]  # its worker
    finally:
        tail = stop(process)
    assert "Redis stopped" in tail
    assert not Path(f"/proc/{worker}").exists()  # stopped with the rest

    process, printed = start(tmp_path, port)
    try:
        assert "created now" not in printed  # the demo site is still there
        counts = requests.get(
            f"{base}/v1/sites/demo/reactions", params={"article": "sony-flip-flops"}, timeout=5
        ).json()["articles"]["sony-flip-flops"]["counts"]
        assert counts["love"] == loves
    finally:
        stop(process)
