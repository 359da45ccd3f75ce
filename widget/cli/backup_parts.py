"""The sections of a backup that features beside the articles keep: webhooks, audit log.

Webhooks are kept whole, their secrets included (a backup is as private as the keys), so
that receivers keep verifying deliveries after a restore. The audit log is put back entry
by entry under the ids (and so the times) they had, so the copy's Activity page reads as
the original's did; the restore's own entry comes after them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .backup_file import RestoreContext, Section


def _write_webhooks(store: Any, site: Any) -> Iterator[dict[str, Any]]:
    for hook, record in store.webhooks.list(site.id).items():
        yield {"kind": "webhook", "id": hook, "record": record}


def _check_webhook(record: dict[str, Any]) -> None:
    if not isinstance(record.get("id"), str) or not isinstance(record.get("record"), dict):
        raise ValueError("a webhook record holds its id and its record")


def _restore_webhook(ctx: RestoreContext, record: dict[str, Any]) -> None:
    ctx.store.webhooks.put(ctx.target, record["id"], record["record"])


def _write_audit(store: Any, site: Any) -> Iterator[dict[str, Any]]:
    for entry_id, entry in store.audit.every(site.id):
        yield {"kind": "audit", "id": entry_id, "entry": entry}


def _check_audit(record: dict[str, Any]) -> None:
    if not isinstance(record.get("id"), str) or not isinstance(record.get("entry"), dict):
        raise ValueError("an audit record holds an entry id and an entry object")


def _restore_audit(ctx: RestoreContext, record: dict[str, Any]) -> None:
    ctx.store.audit.put(ctx.target, record["id"], record["entry"])


WEBHOOKS_SECTION = Section(
    "webhooks", ("webhook",), _write_webhooks, _restore_webhook, check=_check_webhook
)
AUDIT_SECTION = Section("audit", ("audit",), _write_audit, _restore_audit, check=_check_audit)
