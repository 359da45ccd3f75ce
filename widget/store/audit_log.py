"""A site's audit log: one Redis Stream per site, newest entries read first.

Each entry is one field ``e`` holding the JSON of who changed what (``publisher/audit.py``
makes it); the stream id is the time it was added (milliseconds), which is the entry's
``at`` and the cursor of a page. Every add trims in the same transaction: entries older
than ``KEEP_DAYS`` days (``MINID ~``, which trims whole nodes only, so nothing younger
goes) and, past ``MAX_ENTRIES`` of a site, the oldest (``MAXLEN ~``), so a site's log is
bounded in memory even under a flood of changes. docs/keys.md gives the bytes an entry
takes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from . import keys
from .client import Client

KEEP_DAYS = 366
MAX_ENTRIES = 20_000
STREAM_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")
# A filtered page reads at most this many entries looking for matches, then stops with a
# cursor where it stopped: a filter matching nothing costs a bounded read, not the log.
MAX_SCANNED = 5_000
BATCH = 200


class CursorError(ValueError):
    """A cursor that is no audit-log position."""


@dataclass(frozen=True)
class LogPage:
    """Some entries of a site's log, newest first, and the cursor of the next page."""

    entries: list[tuple[str, dict[str, Any]]]
    next_cursor: str | None


class AuditLog:
    """Add to and page through a site's audit log."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def add(self, site: str, entry: dict[str, Any]) -> str:
        """Add one entry to the site's log now; return its id."""
        key = keys.site_key(site, "audit")
        oldest_kept_ms = int((time.time() - KEEP_DAYS * 86_400) * 1000)
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(
            key,
            {"e": json.dumps(entry, ensure_ascii=False)},
            minid=oldest_kept_ms,
            approximate=True,
        )
        pipe.xtrim(key, maxlen=MAX_ENTRIES, approximate=True)
        return str(pipe.execute()[0])

    def page(
        self, site: str, limit: int, cursor: str | None = None, action: str | None = None
    ) -> LogPage:
        """Return up to ``limit`` entries older than ``cursor`` (None: the newest), newest
        first; with ``action``, only the entries of that action."""
        if cursor is not None and not STREAM_ID.fullmatch(cursor):
            raise CursorError("cursor is not a cursor of this list")
        key = keys.site_key(site, "audit")
        found: list[tuple[str, dict[str, Any]]] = []
        top = f"({cursor}" if cursor else "+"
        scanned = 0
        while True:
            want = limit + 1 if action is None else BATCH
            batch = cast(
                list[tuple[str, dict[str, str]]],
                self.client.xrevrange(key, max=top, min="-", count=want),
            )
            for entry_id, fields in batch:
                scanned += 1
                data = json.loads(fields["e"])
                if action is None or data.get("action") == action:
                    found.append((str(entry_id), data))
                    if len(found) > limit:
                        return LogPage(found[:limit], found[limit - 1][0])
                if action is not None and scanned >= MAX_SCANNED:
                    return LogPage(found, str(entry_id))  # the next page reads on from here
            if len(batch) < want:
                return LogPage(found, None)
            top = f"({batch[-1][0]}"

    def every(self, site: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield every entry of the site's log, oldest first, by batches (for a backup)."""
        key = keys.site_key(site, "audit")
        low = "-"
        while True:
            batch = cast(
                list[tuple[str, dict[str, str]]],
                self.client.xrange(key, min=low, max="+", count=BATCH),
            )
            for entry_id, fields in batch:
                yield str(entry_id), json.loads(fields["e"])
            if len(batch) < BATCH:
                return
            low = f"({batch[-1][0]}"

    def put(self, site: str, entry_id: str, entry: dict[str, Any]) -> None:
        """Add an entry under the id (and so the time) it had (for a restore, oldest first)."""
        if not STREAM_ID.fullmatch(entry_id):
            raise CursorError(f"{entry_id!r} is not an audit-log entry id")
        key = keys.site_key(site, "audit")
        self.client.xadd(key, {"e": json.dumps(entry, ensure_ascii=False)}, id=entry_id)

    def length(self, site: str) -> int:
        """Return how many entries the site's log holds."""
        return int(self.client.xlen(keys.site_key(site, "audit")))
