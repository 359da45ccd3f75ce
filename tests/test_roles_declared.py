"""Every publisher route declares the role it needs, where it is defined (``@needs``).

The walk covers every rule of the app under ``/v1/sites/<site_id>/`` that a key opens, so a
route added later without a declaration fails here, not in production (where it would be
refused to every key: ``auth.check_role`` fails closed).
"""

from __future__ import annotations

from typing import Any

from widget.publisher.roles import Role, declared_role


def publisher_rules(app: Any) -> list[Any]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v1/sites/<site_id>/") and rule.endpoint.startswith("publisher")
    ]


def test_every_publisher_route_declares_its_role(app: Any) -> None:
    rules = publisher_rules(app)
    assert len(rules) >= 9  # the walk found the blueprint's routes
    undeclared = [r.rule for r in rules if declared_role(app.view_functions[r.endpoint]) is None]
    assert undeclared == []


def test_reads_need_a_viewer_and_changes_an_editor(app: Any) -> None:
    for rule in publisher_rules(app):
        role = declared_role(app.view_functions[rule.endpoint])
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        if rule.rule.endswith("/keys"):  # a site's keys are managed by an admin, read too
            assert role is Role.ADMIN, rule.rule
        elif methods == {"GET"}:
            assert role is Role.VIEWER, rule.rule
        else:
            assert role is not None and role >= Role.EDITOR, rule.rule


def test_every_dashboard_page_declares_its_role(app: Any) -> None:
    # Signing in and out, and the static files, are open; every other page needs a session
    # and declares the role that it serves (views.signed_in refuses a page without one).
    open_endpoints = {"dashboard.do_sign_in", "dashboard.do_sign_out", "dashboard.static"}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("dashboard.")]
    assert len(rules) >= 12
    undeclared = [
        r.rule
        for r in rules
        if r.endpoint not in open_endpoints
        and declared_role(app.view_functions[r.endpoint]) is None
    ]
    assert undeclared == []
    for rule in rules:
        role = declared_role(app.view_functions[rule.endpoint])
        if "POST" in (rule.methods or ()) and rule.endpoint not in open_endpoints:
            assert role is not None and role >= Role.EDITOR, rule.rule
