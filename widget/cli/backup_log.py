"""The audit log's section of a backup: every entry, oldest first, under its own id.

A restore puts each entry back under the id (and so the time) it had, so the copy's
Activity page reads as the original's did; the restore's own entry comes after them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .backup_file import RestoreContext, Section


def _write(store: Any, site: Any) -> Iterator[dict[str, Any]]:
    for entry_id, entry in store.audit.every(site.id):
        yield {"kind": "audit", "id": entry_id, "entry": entry}


def _check(record: dict[str, Any]) -> None:
    if not isinstance(record.get("id"), str) or not isinstance(record.get("entry"), dict):
        raise ValueError("an audit record holds an entry id and an entry object")


def _restore(ctx: RestoreContext, record: dict[str, Any]) -> None:
    ctx.store.audit.put(ctx.target, record["id"], record["entry"])


AUDIT_SECTION = Section("audit", ("audit",), _write, _restore, check=_check)
