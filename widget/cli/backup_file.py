"""The backup file: one JSON object a line, framed by a header and a checksum, in sections.

    {"kind": "header", "format": "reactions-widget-backup", "version": 1, "site": ..., ...}
    {"kind": "site", ...}          }
    {"kind": "series", ...}        } the sections' records, in SECTIONS' order
    {"kind": "article", ...} ...   }
    {"kind": "end", "records": N, "sha256": "<hex of every line above, bytes and newlines>"}

Each part of a site is a ``Section``: the record kinds it owns, a writer that yields its
records, and a restorer that takes them back (with a ``finish`` once every record was
read). A feature that keeps more of a site (aliases, named keys, webhooks, the audit log)
adds its section to ``SECTIONS`` (``widget/cli/backup.py`` registers the first three); a
record of a kind no section owns is refused, naming its line, as a file from a newer
service. ``check`` reads a file whole before anything is written: the version, every
line's JSON and kind, the records' own checks, the count and the checksum. A file cut
short or changed in any byte fails it, and so restores nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from werkzeug.exceptions import HTTPException

FORMAT = "reactions-widget-backup"
VERSION = 1


class BackupError(ValueError):
    """A backup file that cannot be restored, with a message naming the line."""


@dataclass
class RestoreContext:
    """What a restore knows as it goes: where to, from where, and what the sections keep."""

    store: Any  # widget.store.Store (Any: this module imports nothing of the store)
    target: str  # the site id restored to
    source: str  # the site id the backup was made of
    renamed: bool  # --as: the copy holds no working key (keys name their site)
    site_record: dict[str, Any] | None = None
    reaction_keys: tuple[str, ...] = ()
    kept: dict[str, Any] = field(default_factory=dict)  # each section's own state
    done: Callable[[int], None] = lambda n: None  # a progress bar's update, per article


@dataclass(frozen=True)
class Section:
    """One part of a site in a backup: its record kinds, how it is written and restored."""

    name: str
    kinds: tuple[str, ...]
    write: Callable[[Any, Any], Iterator[dict[str, Any]]]  # (store, site) -> records
    restore: Callable[[RestoreContext, dict[str, Any]], None]
    finish: Callable[[RestoreContext], None] = lambda ctx: None
    check: Callable[[dict[str, Any]], None] = lambda record: None  # raise ValueError


SECTIONS: list[Section] = []


def section_of(kind: str) -> Section | None:
    """Return the section that owns a record kind, or None."""
    return next((s for s in SECTIONS if kind in s.kinds), None)


class Writer:
    """Write records as lines, hashing each, and end the file with the checksum line."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.records = 0

    def write(self, record: dict[str, Any]) -> None:
        """Write one record as one line."""
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.sha.update(line)
        self.out.write(line)
        self.records += 1

    def end(self) -> None:
        """Write the checksum line, which ends the file."""
        end = {"kind": "end", "records": self.records, "sha256": self.sha.hexdigest()}
        self.out.write((json.dumps(end) + "\n").encode())


@dataclass
class Checked:
    """What a whole-file check found: the header, and how many records of each kind."""

    header: dict[str, Any]
    kinds: dict[str, int]


def _lines(path: Path) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            try:
                record = json.loads(line)
            except ValueError:
                message = f"line {number}: not a JSON object (cut short or changed?)"
                raise BackupError(message) from None
            if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
                raise BackupError(f"line {number}: not a record (no 'kind')")
            yield number, line, record


def check(path: Path) -> Checked:
    """Read a backup whole and raise BackupError unless it can be restored as it is."""
    sha = hashlib.sha256()
    header: dict[str, Any] | None = None
    kinds: dict[str, int] = {}
    ended = False
    order = 0  # the sections' records come in SECTIONS' order (the site's first)
    for number, line, record in _lines(path):
        kind = record["kind"]
        if ended:
            raise BackupError(f"line {number}: a record after the checksum line")
        if header is None:
            header = _header(record)
        elif kind == "end":
            if record.get("sha256") != sha.hexdigest() or record.get("records") != number - 1:
                raise BackupError(f"line {number}: the checksum does not match: the file changed")
            ended = True
            continue
        else:
            section = section_of(kind)
            if section is None:
                raise BackupError(
                    f"line {number}: a record of kind {kind[:40]!r}, which this service does "
                    "not know (a backup of a newer version?)"
                )
            if SECTIONS.index(section) < order:
                raise BackupError(f"line {number}: a {kind} record out of its section's place")
            order = SECTIONS.index(section)
            try:
                section.check(record)
            except (ValueError, TypeError, KeyError, AttributeError, HTTPException) as exc:
                why = exc.description if isinstance(exc, HTTPException) else exc
                raise BackupError(f"line {number}: a bad {kind} record ({why})") from None
        kinds[kind] = kinds.get(kind, 0) + 1
        sha.update(line)
    if header is None:
        raise BackupError("the file is empty")
    if not ended:
        raise BackupError("the file has no checksum line: it was cut short")
    return Checked(header, kinds)


def _header(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("kind") != "header" or record.get("format") != FORMAT:
        raise BackupError(f"line 1: not a backup of this service (no {FORMAT} header)")
    if record.get("version") != VERSION:
        raise BackupError(
            f"line 1: a backup of format version {str(record.get('version'))[:20]}; this "
            f"service reads version {VERSION}"
        )
    if not isinstance(record.get("site"), str):
        raise BackupError("line 1: the header names no site")
    return record


def records(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the records of a checked file, header and checksum left out."""
    for _, _, record in _lines(path):
        if record["kind"] not in ("header", "end"):
            yield record
