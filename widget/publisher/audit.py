"""The one place every change a publisher makes is recorded (the audit log).

Every door that changes a site (the publisher API, the dashboard, the command line) calls
``record`` once per change it made, after it made it, with the fields that changed before
and after: never a key, a secret or a digest. A refused or empty change records nothing.
``actor`` is the key's name, or ``cli``.

The log's storage and ``GET .../audit`` belong to the keys-and-roles work; until it lands,
``record`` keeps nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def record(
    site_id: str,
    actor: str,
    action: str,
    target: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Record one change of a site: who, what (a dotted action), on what, and the fields."""
    del site_id, actor, action, target, before, after
