"""The `flask --app widget sites ...` commands, as an operator types them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers import KEYS, ROOT
from widget.sites import key_digest

# Every test here runs on one Redis and again on a real Redis Cluster (conftest.py).
pytestmark = pytest.mark.on_cluster_too


def key_from(output: str) -> str:
    match = re.search(r"rk_[A-Za-z0-9_-]{43,}", output)
    assert match, output
    return match.group(0)


def test_create_prints_a_key_once_and_stores_only_its_digest(
    runner: Any, redis_client: Any
) -> None:
    result = runner.invoke(args=["sites", "create", "demo", "--name", "Demo",
                                 "--origin", "https://example.com"])  # fmt: skip
    assert result.exit_code == 0, result.output
    api_key = key_from(result.output)
    dumped = json.dumps({k: redis_client.get(k) for k in redis_client.keys("*sites*site*")})
    assert api_key not in dumped and key_digest(api_key) in dumped


def test_create_validates_id_and_origins(runner: Any) -> None:
    for args, message in [
        (["sites", "create", "Bad_Id"], "not a site id"),
        (["sites", "create", "-leading"], "No such option"),
        (["sites", "create", "ok", "--origin", "example.com"], "not an origin"),
        (["sites", "create", "ok", "--origin", "https://example.com/path"], "not an origin"),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, result.output
    assert runner.invoke(args=["sites", "create", "dup"]).exit_code == 0
    result = runner.invoke(args=["sites", "create", "dup"])
    assert result.exit_code == 1 and "exists already" in result.output


def test_list_show_and_set_origins(runner: Any) -> None:
    runner.invoke(args=["sites", "create", "demo", "--name", "Demo Site"])
    runner.invoke(args=["sites", "create", "blog", "--origin", "https://blog.example:443"])
    listing = runner.invoke(args=["sites", "list"]).output
    assert listing.index("blog") < listing.index("demo") and "Demo Site" in listing
    shown = json.loads(runner.invoke(args=["sites", "show", "blog"]).output)
    assert shown["origins"] == ["https://blog.example"]  # the default port is dropped
    assert [r["key"] for r in shown["reactions"]] == list(KEYS)
    assert "key" not in json.dumps(shown).replace('"key": "', "")  # no API key or digest
    result = runner.invoke(
        args=["sites", "set-origins", "blog", "https://a.example", "http://127.0.0.1:8080"]
    )
    assert result.exit_code == 0
    shown = json.loads(runner.invoke(args=["sites", "show", "blog"]).output)
    assert shown["origins"] == ["https://a.example", "http://127.0.0.1:8080"]
    assert runner.invoke(args=["sites", "show", "nosuch"]).exit_code == 1


def test_set_origins_takes_effect_on_the_reader_api(runner: Any, client: Any) -> None:
    runner.invoke(args=["sites", "create", "demo", "--origin", "https://old.example"])
    body = json.dumps({"article": "a", "reader": "reader-0000000000001", "reaction": "love"})

    def status(origin: str) -> int:
        res = client.post("/v1/sites/demo/reactions", data=body, content_type="text/plain",
                          headers={"Origin": origin})  # fmt: skip
        return int(res.status_code)

    assert (status("https://old.example"), status("https://new.example")) == (200, 403)
    runner.invoke(args=["sites", "set-origins", "demo", "https://new.example"])
    assert (status("https://old.example"), status("https://new.example")) == (403, 200)


def test_rotate_key_stops_the_old_key(runner: Any, app: Any) -> None:
    old = key_from(runner.invoke(args=["sites", "create", "demo"]).output)
    new = key_from(runner.invoke(args=["sites", "rotate-key", "demo"]).output)
    assert old != new
    with app.app_context():
        from widget.context import get_sites

        site = get_sites().get("demo")
        assert site is not None
        assert site.check_key(new) and not site.check_key(old)


def test_delete_removes_the_site_and_its_data(runner: Any, client: Any, redis_client: Any) -> None:
    runner.invoke(args=["sites", "create", "demo"])
    runner.invoke(args=["sites", "create", "keep"])
    for site in ("demo", "keep"):
        reaction = {"article": "a", "reader": "reader-0000000000001", "reaction": "love"}
        client.post(f"/v1/sites/{site}/reactions", json=reaction)
    result = runner.invoke(args=["sites", "delete", "demo"])
    assert result.exit_code == 0, result.output
    assert client.get("/v1/sites/demo/reactions?article=a").status_code == 404
    assert not [k for k in redis_client.keys("*") if "demo" in k]
    assert (
        client.get("/v1/sites/keep/reactions?article=a").get_json()["articles"]["a"]["total"] == 1
    )


@pytest.mark.slow
def test_unreachable_redis_is_a_one_line_error(tmp_path: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "widget", "sites", "list"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": "redis://127.0.0.1:1/0", "SECRET_KEY": "x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot reach Redis" in result.stderr and "Traceback" not in result.stderr
