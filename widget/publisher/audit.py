"""The one place every change a publisher makes is recorded (the audit log).

Every door that changes a site (the publisher API, the dashboard, the command line) calls
``record`` once per change it made, after it made it, with the fields that changed before
and after: never a key, a secret or a digest. A refused or empty change records nothing.
The actor is the request's (``current_actor``: the name of the key that
``auth.require_publisher`` or the dashboard's session accepted), or ``cli`` outside a request.

The log's storage and ``GET .../audit`` belong to the keys-and-roles work; until it lands,
``record`` keeps nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import g, has_request_context

CLI = "cli"


def set_actor(name: str) -> None:
    """Name who the current request acts as (the accepted key's name)."""
    g.audit_actor = name


def current_actor() -> str:
    """Return who is making the current change: the request's key name, or ``cli``."""
    if has_request_context():
        return str(g.get("audit_actor") or "unknown")
    return CLI


def record(
    site_id: str,
    action: str,
    target: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Record one change of a site by ``current_actor()``: what (a dotted action such as
    ``settings.update``), on what, and the fields that changed."""
    del site_id, action, target, before, after
