"""Named keys with roles: made, listed, used, revoked (at once, on every worker), rotated.

"Every worker" is two apps on one Redis here, each with a site cache of a minute (as two
gunicorn workers would be); tests/test_keys_gunicorn.py does it with real workers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from openapi_core import OpenAPI

from tests.helpers import app_config
from tests.test_dashboard import csrf_of
from tests.test_openapi import check
from widget import create_app
from widget.context import get_sites
from widget.local.redis_server import RedisServer
from widget.ops.health import openapi_document
from widget.sites import key_digest

KEYS_URL = "/v1/sites/demo/keys"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def add_key(client: Any, admin: str, name: str, role: str) -> str:
    res = client.post(KEYS_URL, json={"name": name, "role": role}, headers=bearer(admin))
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["name"] == name and res.get_json()["role"] == role
    return str(res.get_json()["key"])


def test_a_new_site_has_one_admin_key_named_admin(
    client: Any, make_site: Callable[..., str]
) -> None:
    admin = make_site("demo")
    res = client.get(KEYS_URL, headers=bearer(admin))
    assert res.status_code == 200
    (only,) = res.get_json()["keys"]
    assert only["name"] == "admin" and only["role"] == "admin"
    assert only["created_at"].endswith("Z") and only["last_used_at"] is not None  # just now


def test_a_key_is_shown_once_and_only_its_digest_is_kept(
    client: Any, make_site: Callable[..., str], redis_client: redis.Redis
) -> None:
    admin = make_site("demo")
    key = add_key(client, admin, "newsdesk", "viewer")
    assert key.startswith("rk_demo_")
    stored = "".join(str(redis_client.get(k)) for k in redis_client.keys("rx:{sites}:site:*"))
    assert key not in stored and key_digest(key) in stored
    listed = client.get(KEYS_URL, headers=bearer(admin)).get_data(as_text=True)
    assert key not in listed and key_digest(key) not in listed and "newsdesk" in listed
    assert client.get("/v1/sites/demo/summary", headers=bearer(key)).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "admin", "role": "viewer"}, 409),  # a name in use
        ({"name": "x", "role": "owner"}, 400),
        ({"name": "x"}, 400),
        ({"name": "", "role": "viewer"}, 400),
        ({"name": "-x", "role": "viewer"}, 400),
        ({"name": "a" * 65, "role": "viewer"}, 400),
        ({"name": "a b", "role": "viewer"}, 400),
        ({"name": 7, "role": "viewer"}, 400),
        ({"name": "x", "role": "viewer", "key": "rk_demo_mine"}, 400),
        ([], 400),
    ],
)
def test_a_bad_key_request_changes_nothing(
    client: Any, make_site: Callable[..., str], redis_client: redis.Redis, body: Any, status: int
) -> None:
    admin = make_site("demo")
    client.get(KEYS_URL, headers=bearer(admin))  # its last use is noted before the digest
    before = redis_client.execute_command("DEBUG", "DIGEST")
    res = client.post(KEYS_URL, json=body, headers=bearer(admin))
    assert res.status_code == status
    assert res.get_json()["error"]["code"] == {409: "conflict", 400: "bad_request"}[status]
    assert redis_client.execute_command("DEBUG", "DIGEST") == before


def test_names_are_case_sensitive_and_revoking_an_unknown_one_is_404(
    client: Any, make_site: Callable[..., str]
) -> None:
    admin = make_site("demo")
    add_key(client, admin, "Admin", "editor")
    res = client.delete(f"{KEYS_URL}/nobody", headers=bearer(admin))
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "not_found"


@pytest.mark.on_cluster_too
def test_the_last_admin_key_cannot_be_revoked(client: Any, make_site: Callable[..., str]) -> None:
    admin = make_site("demo")
    res = client.delete(f"{KEYS_URL}/admin", headers=bearer(admin))
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "conflict"
    second = add_key(client, admin, "chief", "admin")
    assert client.delete(f"{KEYS_URL}/admin", headers=bearer(second)).status_code == 204
    assert client.get(KEYS_URL, headers=bearer(admin)).status_code == 401
    res = client.delete(f"{KEYS_URL}/chief", headers=bearer(second))
    assert res.status_code == 409  # now the last one


@pytest.fixture
def two_workers(redis_server: RedisServer, redis_client: redis.Redis) -> Iterator[list[Any]]:
    """Two apps on one Redis, each caching site records for a minute."""
    apps = [create_app(app_config(redis_server, SITE_CACHE_SECONDS=60)) for _ in range(2)]
    yield apps
    for app in apps:
        app.extensions["reactions.store"].client.close()


def test_a_revoked_key_is_refused_by_every_worker_at_once(two_workers: list[Any]) -> None:
    one, other = (app.test_client() for app in two_workers)
    with two_workers[0].app_context():
        _, admin = get_sites().create("demo", "Demo", [])
    viewer = add_key(one, admin, "intern", "viewer")
    for client in (one, other):  # both workers have the site cached, with the key in it
        assert client.get("/v1/sites/demo/summary", headers=bearer(viewer)).status_code == 200
    assert one.delete(f"{KEYS_URL}/intern", headers=bearer(admin)).status_code == 204
    res = other.get("/v1/sites/demo/summary", headers=bearer(viewer))
    assert res.status_code == 401 and res.get_json()["error"]["code"] == "unauthorized"
    # A key made on one worker works on the other at once too.
    fresh = add_key(one, admin, "intern", "editor")
    assert other.get("/v1/sites/demo/summary", headers=bearer(fresh)).status_code == 200


def dashboard_sign_in(client: Any, key: str) -> None:
    token = csrf_of(client.get("/dashboard/").get_data(as_text=True))
    res = client.post("/dashboard/sign-in", data={"csrf": token, "site": "demo", "key": key})
    assert res.status_code == 302


def test_revoking_a_key_ends_its_dashboard_sessions_on_every_worker(
    two_workers: list[Any],
) -> None:
    api = two_workers[0].test_client()
    with two_workers[0].app_context():
        _, admin = get_sites().create("demo", "Demo", [])
    viewer = add_key(api, admin, "intern", "viewer")
    browser, admin_browser = two_workers[1].test_client(), two_workers[1].test_client()
    dashboard_sign_in(browser, viewer)
    dashboard_sign_in(admin_browser, admin)
    assert browser.get("/dashboard/articles").status_code == 200
    assert api.delete(f"{KEYS_URL}/intern", headers=bearer(admin)).status_code == 204
    res = browser.get("/dashboard/articles")
    assert res.status_code == 302 and res.headers["Location"].endswith("/dashboard/")
    assert admin_browser.get("/dashboard/articles").status_code == 200  # other keys stay


def test_rotation_ends_the_admin_keys_sessions(two_workers: list[Any]) -> None:
    with two_workers[0].app_context():
        _, admin = get_sites().create("demo", "Demo", [])
    browser = two_workers[1].test_client()
    dashboard_sign_in(browser, admin)
    runner = two_workers[0].test_cli_runner()
    result = runner.invoke(args=["sites", "rotate-key", "demo"])
    assert result.exit_code == 0
    assert browser.get("/dashboard/articles").status_code == 302
    new = result.output.strip().splitlines()[-1]
    assert two_workers[1].test_client().get(KEYS_URL, headers=bearer(new)).status_code == 200


def test_last_used_at_is_written_at_most_once_a_minute(
    client: Any, make_site: Callable[..., str], redis_client: redis.Redis
) -> None:
    admin = make_site("demo")
    viewer = add_key(client, admin, "reader", "viewer")
    listed = {k["name"]: k for k in client.get(KEYS_URL, headers=bearer(admin)).get_json()["keys"]}
    assert listed["reader"]["last_used_at"] is None
    hset = lambda: int(redis_client.info("commandstats").get("cmdstat_hset", {}).get("calls", 0))  # noqa: E731
    before = hset()
    for _ in range(20):
        assert client.get("/v1/sites/demo/summary", headers=bearer(viewer)).status_code == 200
    assert hset() - before == 1
    listed = {k["name"]: k for k in client.get(KEYS_URL, headers=bearer(admin)).get_json()["keys"]}
    assert listed["reader"]["last_used_at"].endswith("Z")


def test_a_site_from_before_named_keys_keeps_its_key_as_admin(
    app: Any, client: Any, redis_client: redis.Redis, runner: Any
) -> None:
    old_key = "rk_demo_" + "x" * 43
    record = {"id": "demo", "name": "Demo", "origins": [], "key_digest": key_digest(old_key),
              "created_at": "2026-01-02T03:04:05Z"}  # fmt: skip
    redis_client.set("rx:{sites}:site:demo", json.dumps(record))
    redis_client.sadd("rx:{sites}:all", "demo")
    assert client.get("/v1/sites/demo/summary", headers=bearer(old_key)).status_code == 200
    (key,) = client.get(KEYS_URL, headers=bearer(old_key)).get_json()["keys"]
    assert (key["name"], key["role"], key["created_at"]) == ("admin", "admin", record["created_at"])
    # The first change writes the record anew, with the key among its named keys.
    add_key(client, old_key, "newsdesk", "viewer")
    stored = json.loads(str(redis_client.get("rx:{sites}:site:demo")))
    assert [k["name"] for k in stored["keys"]] == ["admin", "newsdesk"]
    assert client.get("/v1/sites/demo/summary", headers=bearer(old_key)).status_code == 200


@pytest.mark.on_cluster_too
def test_the_keys_command(runner: Any, client: Any, make_site: Callable[..., str]) -> None:
    make_site("demo")
    result = runner.invoke(args=["sites", "keys", "demo", "add", "newsdesk", "--role", "viewer"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert client.get("/v1/sites/demo/summary", headers=bearer(key)).status_code == 200
    listed = runner.invoke(args=["sites", "keys", "demo"])
    assert listed.exit_code == 0
    rows = [line.split("\t") for line in listed.output.strip().splitlines()[1:]]
    assert [(r[0], r[1]) for r in rows] == [("admin", "admin"), ("newsdesk", "viewer")]
    assert rows[1][3] != "never" and key not in listed.output
    result = runner.invoke(args=["sites", "keys", "demo", "revoke", "newsdesk"])
    assert result.exit_code == 0
    assert client.get("/v1/sites/demo/summary", headers=bearer(key)).status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "newsdesk"], "--role"),
        (["add", "admin", "--role", "viewer"], "already"),
        (["add", "a b", "--role", "viewer"], "name must be"),
        (["add", "x", "--role", "owner"], "owner"),
        (["revoke", "nobody"], "no key named"),
        (["revoke", "admin"], "last admin key"),
        (["revoke"], "name the key"),
    ],
)
def test_the_keys_command_refuses_bad_input(
    runner: Any, make_site: Callable[..., str], args: list[str], message: str
) -> None:
    make_site("demo")
    result = runner.invoke(args=["sites", "keys", "demo", *args])
    assert result.exit_code != 0 and message in result.output


def test_rotate_key_makes_an_admin_key_when_admin_was_revoked(
    client: Any, runner: Any, make_site: Callable[..., str]
) -> None:
    admin = make_site("demo")
    chief = add_key(client, admin, "chief", "admin")
    assert client.delete(f"{KEYS_URL}/admin", headers=bearer(chief)).status_code == 204
    result = runner.invoke(args=["sites", "rotate-key", "demo"])
    assert result.exit_code == 0
    new = result.output.strip().splitlines()[-1]
    names = {
        k["name"]: k["role"] for k in client.get(KEYS_URL, headers=bearer(new)).get_json()["keys"]
    }
    assert names == {"admin": "admin", "chief": "admin"}
    assert client.get(KEYS_URL, headers=bearer(admin)).status_code == 401


@pytest.mark.slow  # building the validator takes most of a second
def test_the_answers_match_the_openapi_document(client: Any, make_site: Callable[..., str]) -> None:
    spec = OpenAPI.from_dict(openapi_document())
    admin = make_site("demo")
    auth = bearer(admin)
    check(spec, client.get(KEYS_URL, headers=auth))
    check(spec, client.post(KEYS_URL, json={"name": "desk", "role": "editor"}, headers=auth))
    check(spec, client.post(KEYS_URL, json={"name": "desk", "role": "editor"}, headers=auth))
    check(spec, client.post(KEYS_URL, json={"name": "x", "role": "boss"}, headers=auth))
    check(spec, client.delete(f"{KEYS_URL}/admin", headers=auth))
    check(spec, client.delete(f"{KEYS_URL}/nobody", headers=auth))
    check(spec, client.delete(f"{KEYS_URL}/desk", headers=auth))
    check(spec, client.get("/v1/sites/demo/audit?limit=1", headers=auth))
    check(spec, client.get("/v1/sites/demo/audit?cursor=bad", headers=auth))
    viewer = add_key(client, admin, "intern", "viewer")
    check(spec, client.get(KEYS_URL, headers=bearer(viewer)))
