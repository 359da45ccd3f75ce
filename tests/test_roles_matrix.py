"""The role matrix: every publisher endpoint and every dashboard form, under each role.

A viewer reads only, an editor reads and changes, an admin does everything. Each refusal
is 403 ``forbidden`` naming the role needed, and changes nothing in Redis (its whole
dataset's ``DEBUG DIGEST`` is the same before and after).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.helpers import KEYS
from tests.test_dashboard import csrf_of
from tests.test_keys import add_key, bearer, dashboard_sign_in
from tests.test_roles_declared import publisher_rules
from tests.test_settings_dashboard import article_form, form_of
from widget.publisher.roles import Role, declared_role

READER = "reader-0123456789abcdef"
# A request that the route answers with a 2xx when the role is enough: (query, JSON body).
# They run in this order on one site, so a later one may rely on an earlier one's change.
SAMPLES: dict[tuple[str, str], tuple[str, Any]] = {
    ("/v1/sites/<site_id>/articles", "GET"): ("", None),
    ("/v1/sites/<site_id>/summary", "GET"): ("", None),
    ("/v1/sites/<site_id>/history", "GET"): ("?article=a1", None),
    ("/v1/sites/<site_id>/export", "GET"): ("", None),
    ("/v1/sites/<site_id>/article", "GET"): ("?article=a1", None),
    ("/v1/sites/<site_id>/settings", "GET"): ("", None),
    ("/v1/sites/<site_id>/audit", "GET"): ("", None),
    ("/v1/sites/<site_id>/keys", "GET"): ("", None),
    ("/v1/sites/<site_id>/article", "PATCH"): ("?article=a1", {"title": "Changed"}),
    ("/v1/sites/<site_id>/settings", "PATCH"): ("", {"name": "Changed"}),
    ("/v1/sites/<site_id>/keys", "POST"): ("", {"name": "made", "role": "viewer"}),
    ("/v1/sites/<site_id>/keys/<name>", "DELETE"): ("", None),
    ("/v1/sites/<site_id>/webhooks", "GET"): ("", None),
    ("/v1/sites/<site_id>/webhooks", "POST"): (
        "",
        {"url": "https://93.184.215.14/hook", "events": ["digest.daily"]},
    ),
    ("/v1/sites/<site_id>/article/move", "POST"): ("", {"from": "a1", "to": "a2"}),
    ("/v1/sites/<site_id>/article/alias", "DELETE"): ("?article=a1", None),
    ("/v1/sites/<site_id>/reactions", "DELETE"): ("?article=a2", None),
}


def digest(client: redis.Redis) -> Any:
    return client.execute_command("DEBUG", "DIGEST")


def endpoints(app: Any) -> list[tuple[str, str, Role]]:
    """Every (rule, method) of the publisher API with the role it declared."""
    found = []
    for rule in publisher_rules(app):
        role = declared_role(app.view_functions[rule.endpoint])
        assert role is not None, rule.rule
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, role))
    order = list(SAMPLES)
    return sorted(found, key=lambda e: order.index(e[:2]) if e[:2] in SAMPLES else -1)


def test_the_matrix_knows_every_endpoint_of_this_work(app: Any) -> None:
    known = {(rule, method) for rule, method, _ in endpoints(app)}
    assert set(SAMPLES) <= known


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.label)
def test_each_publisher_endpoint_under_each_role(
    app: Any,
    client: Any,
    store: Any,
    redis_client: redis.Redis,
    make_site: Callable[..., str],
    role: Role,
) -> None:
    admin = make_site("demo")
    key = admin if role is Role.ADMIN else add_key(client, admin, "k", role.label)
    store.set_reaction("demo", "a1", READER, "love", KEYS)
    client.get("/v1/sites/demo/summary", headers=bearer(key))  # its last use, noted once
    for rule, method, needed in endpoints(app):
        query, body = SAMPLES.get((rule, method), ("", None))
        path = rule.replace("<site_id>", "demo").replace("<name>", "made")
        path = re.sub(r"<[^>]+>", "x", path)  # another route's parameter: any value
        before = digest(redis_client)
        res = client.open(path + query, method=method, json=body, headers=bearer(key))
        what = f"{method} {rule} as {role.label}"
        if role >= needed:
            if (rule, method) in SAMPLES:
                assert 200 <= res.status_code < 300, (what, res.get_json())
            continue
        assert res.status_code == 403, what
        error = res.get_json()["error"]
        assert error["code"] == "forbidden" and repr(needed.label) in error["message"], what
        assert digest(redis_client) == before, f"{what} changed something"


def post_forms(client: Any, fields: dict[str, dict[str, str]]) -> dict[str, int]:
    """Post each dashboard form; return each one's status."""
    return {path: client.post(path, data=data).status_code for path, data in fields.items()}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.label)
def test_each_dashboard_page_and_form_under_each_role(
    app: Any,
    client: Any,
    store: Any,
    redis_client: redis.Redis,
    make_site: Callable[..., str],
    role: Role,
) -> None:
    admin = make_site("demo")
    key = admin if role is Role.ADMIN else add_key(client, admin, "k", role.label)
    store.set_reaction("demo", "a1", READER, "love", KEYS, title="Old")
    browser = app.test_client()
    dashboard_sign_in(browser, key)
    pages = ["/dashboard/", "/dashboard/articles", "/dashboard/article?article=a1",
             "/dashboard/settings", "/dashboard/activity", "/dashboard/export.csv"]  # fmt: skip
    for page in pages:
        res = browser.get(page)
        assert res.status_code == 200, page
        html = res.get_data(as_text=True)
        posts = re.findall(r'<form method="post" action="([^"]+)"', html)
        if role is Role.VIEWER:  # no button or form that changes anything: only sign-out
            assert posts in ([], ["/dashboard/sign-out"]), (page, posts)
            assert "Reset…" not in html and "Save" not in html, page
    settings_html = browser.get("/dashboard/settings").get_data(as_text=True)
    article_html = browser.get("/dashboard/article?article=a1").get_data(as_text=True)
    csrf = csrf_of(settings_html)  # the sign-out form's, the session's one token
    forms = {
        "/dashboard/settings": form_of(settings_html) | {"csrf": csrf, "name": "Changed"},
        "/dashboard/article/edit": (
            article_form(article_html) if role >= Role.EDITOR else {"article": "a1"}
        )
        | {"csrf": csrf, "title": "New"},
        "/dashboard/article/closed": {"csrf": csrf, "article": "a1", "closed": "1"},
        "/dashboard/reset": {"csrf": csrf, "article": "a1"},
    }
    confirm = browser.get("/dashboard/reset?article=a1")
    if role is Role.VIEWER:
        assert confirm.status_code == 403 and "editor" in confirm.get_data(as_text=True)
        for path, data in forms.items():
            before = digest(redis_client)
            res = browser.post(path, data=data)
            assert res.status_code == 403, path
            assert "editor" in res.get_data(as_text=True)
            assert digest(redis_client) == before, f"{path} changed something"
        return
    assert confirm.status_code == 200
    for path, data in forms.items():
        assert browser.post(path, data=data).status_code == 302, path
    with app.app_context():
        assert store.articles.record("demo", "a1", KEYS) is None  # reset, last
    settings = client.get("/v1/sites/demo/settings", headers=bearer(admin)).get_json()
    assert settings["name"] == "Changed"


def test_the_keys_page_makes_and_revokes_keys_for_admins_only(
    app: Any, client: Any, make_site: Callable[..., str], redis_client: redis.Redis
) -> None:
    admin = make_site("demo")
    editor = add_key(client, admin, "desk", "editor")
    browser = app.test_client()
    dashboard_sign_in(browser, editor)
    assert "/dashboard/keys" not in browser.get("/dashboard/").get_data(as_text=True)
    assert browser.get("/dashboard/keys").status_code == 403
    csrf = csrf_of(browser.get("/dashboard/").get_data(as_text=True))
    before = digest(redis_client)
    made = {"csrf": csrf, "name": "sneaky", "role": "admin"}
    assert browser.post("/dashboard/keys", data=made).status_code == 403
    assert (
        browser.post("/dashboard/keys/revoke", data={"csrf": csrf, "name": "admin"}).status_code
        == 403
    )
    assert digest(redis_client) == before

    chief = app.test_client()
    dashboard_sign_in(chief, admin)
    page = chief.get("/dashboard/").get_data(as_text=True)
    assert "/dashboard/keys" in page and "signed in with the key admin (admin)" in page
    csrf = csrf_of(page)
    res = chief.post("/dashboard/keys", data={"csrf": csrf, "name": "newsdesk", "role": "viewer"})
    assert res.status_code == 200
    key = re.search(r'data-testid="key">([^<]+)<', res.get_data(as_text=True))
    assert key is not None
    assert client.get("/v1/sites/demo/summary", headers=bearer(key.group(1))).status_code == 200
    assert key.group(1) not in chief.get("/dashboard/keys").get_data(as_text=True)  # shown once
    taken = chief.post("/dashboard/keys", data={"csrf": csrf, "name": "newsdesk", "role": "viewer"})
    assert taken.status_code == 409
    assert (
        chief.post("/dashboard/keys/revoke", data={"csrf": csrf, "name": "admin"}).status_code
        == 409
    )
    assert (
        chief.post("/dashboard/keys/revoke", data={"csrf": csrf, "name": "desk"}).status_code == 302
    )
    assert browser.get("/dashboard/articles").status_code == 302  # the editor is signed out
    assert client.get("/v1/sites/demo/summary", headers=bearer(editor)).status_code == 401
    log = client.get("/v1/sites/demo/audit", headers=bearer(admin)).get_json()["entries"]
    assert [(e["actor"], e["action"], e["target"]) for e in log[:2]] == [
        ("admin", "key.revoke", "desk"),
        ("admin", "key.create", "newsdesk"),
    ]
