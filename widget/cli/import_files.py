"""The files ``import`` reads, checked whole: the export's CSV, and a Waline SQLite database.

Each reader turns a file into ``ImportRow``s and a list of what is wrong with it, one
message per bad row naming its line (the CSV) or its row id (Waline), so that the command
can refuse the whole file before it writes anything. Python's own ``csv`` and ``sqlite3``
read the files; nothing here touches Redis.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ApiError
from ..publisher.export import CSV_FORMULA_STARTS
from ..store import ImportRow
from ..validation import check_article, check_title, check_url

# Counts are whole numbers from 0 to this (far above any real count, and exact in a zset).
MAX_IMPORT_COUNT = 10**12
# The export's columns that an import ignores (they follow from the counts and the import).
IGNORED_COLUMNS = ("total", "first_reaction_at", "last_reaction_at")
WALINE_TABLE = "wl_Counter"
WALINE_REACTION = re.compile(r"reaction\d+")
_COUNT = re.compile(r"\d{1,13}")


@dataclass
class Checked:
    """A file read whole: its rows, what is wrong with it, the columns it left out."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)  # column -> the counts left out

    @property
    def reactions(self) -> int:
        """Return the sum of every count to import."""
        return sum(sum(row.counts.values()) for row in self.rows)


def parse_map(options: Iterable[str], reaction_keys: Sequence[str]) -> dict[str, str]:
    """Return ``--map column=key,...`` (repeatable) as {column: reaction key}; raise ValueError."""
    mapping: dict[str, str] = {}
    for option in options:
        for pair in filter(None, (p.strip() for p in option.split(","))):
            column, sep, key = (part.strip() for part in pair.partition("="))
            if not sep or not column or not key:
                raise ValueError(f"--map {pair!r}: write column=reaction")
            if key not in reaction_keys:
                raise ValueError(f"--map {pair!r}: {key!r} is not a reaction of the site")
            if column in mapping:
                raise ValueError(f"--map names column {column!r} twice")
            mapping[column] = key
    return mapping


def _count(value: Any) -> int:
    """Return a count cell as a whole number 0..MAX_IMPORT_COUNT, or raise ValueError."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (text := value.strip()) == "":
        return 0
    elif isinstance(value, str) and _COUNT.fullmatch(text):
        number = int(text)
    else:
        raise ValueError(f"{str(value)[:40]!r} is not a count (a whole number, 0 or more)")
    if not 0 <= number <= MAX_IMPORT_COUNT:
        raise ValueError(f"{number} is not a count (a whole number from 0 to {MAX_IMPORT_COUNT})")
    return number


def _checked(check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except ApiError as exc:
        raise ValueError(exc.description) from None


def _text(cell: str) -> str:
    """Undo the export's guard of a text cell against spreadsheet formulas ("'=...")."""
    if len(cell) > 1 and cell[0] == "'" and cell[1:].startswith(CSV_FORMULA_STARTS):
        return cell[1:]
    return cell


class _Seen:
    """The articles read so far, to refuse one named on two rows (which count to keep?)."""

    def __init__(self) -> None:
        self.where: dict[str, str] = {}

    def check(self, article: str, place: str) -> None:
        earlier = self.where.setdefault(article, place)
        if earlier != place:
            raise ValueError(f"article {article[:80]!r} is also on {earlier}")


def _columns(header: list[str], reaction_keys: Sequence[str], mapping: dict[str, str]) -> Any:
    """Return {index: what the column is} for the CSV header, and the errors of line 1."""
    errors: list[str] = []
    kinds: dict[int, str] = {}
    reactions: dict[int, str] = {}
    for unknown in sorted(set(mapping) - set(header)):
        errors.append(f"line 1: --map names column {unknown!r}, which the file does not have")
    for index, name in enumerate(header):
        if name in mapping:
            reactions[index] = mapping[name]
        elif name in ("article", "title", "url") or name in IGNORED_COLUMNS:
            kinds[index] = name
        elif name in reaction_keys:
            reactions[index] = name
        else:
            errors.append(
                f"line 1: column {name[:40]!r} is not a reaction of the site "
                f"(map it with --map {name[:40]}=<reaction>)"
            )
    if len(set(header)) != len(header):
        errors.append("line 1: a column is named twice")
    if "article" not in kinds.values():
        errors.append("line 1: the header has no 'article' column")
    if len(set(reactions.values())) != len(reactions):
        errors.append("line 1: two columns are the same reaction")
    return kinds, reactions, errors


def read_csv(path: Path, reaction_keys: Sequence[str], mapping: dict[str, str]) -> Checked:
    """Read the export's CSV (its columns, or others named by ``mapping``), checked whole."""
    checked = Checked()
    seen = _Seen()
    # surrogateescape: a byte that is not UTF-8 becomes a lone surrogate, found per row.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as file:
        reader = csv.reader(file)
        try:
            header = [cell.strip() for cell in next(reader, [])]
        except csv.Error as exc:
            return Checked(errors=[f"line 1: {exc}"])
        if not header:
            return Checked(errors=["line 1: the file is empty (no header)"])
        if any(_not_utf8(cell) for cell in header):
            return Checked(errors=["line 1: not UTF-8 (a broken encoding)"])
        kinds, reactions, checked.errors = _columns(header, reaction_keys, mapping)
        if checked.errors:
            return checked
        line = reader.line_num + 1
        while True:
            try:
                row = next(reader, None)
            except csv.Error as exc:
                checked.errors.append(f"line {line}: {exc}")
                break
            if row is None:
                break
            if row:  # a blank line is no row
                try:
                    checked.rows.append(_csv_row(row, header, kinds, reactions, seen, line))
                except ValueError as exc:
                    checked.errors.append(f"line {line}: {exc}")
            line = reader.line_num + 1
    return checked


def _not_utf8(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _csv_row(
    row: list[str],
    header: list[str],
    kinds: dict[int, str],
    reactions: dict[int, str],
    seen: _Seen,
    line: int,
) -> ImportRow:
    if len(row) != len(header):
        raise ValueError(f"{len(row)} cells where the header has {len(header)}")
    if any(_not_utf8(cell) for cell in row):
        raise ValueError("not UTF-8 (a broken encoding)")
    meta = {kind: row[index] for index, kind in kinds.items()}
    article = _checked(check_article, _text(meta["article"]))
    seen.check(article, f"line {line}")
    counts = {key: _count(row[index]) for index, key in reactions.items()}
    title = _checked(check_title, _text(meta.get("title", "")))
    url = _checked(check_url, _text(meta.get("url", "")) or None)
    return ImportRow(article, counts, title, url)


def read_waline(path: Path, reaction_keys: Sequence[str], mapping: dict[str, str]) -> Checked:
    """Read a Waline SQLite database's ``wl_Counter`` table (``url``, ``reaction0``...)."""
    del reaction_keys  # parse_map checked the keys
    if not mapping:
        return Checked(errors=["name Waline's reactions: --map reaction0=<reaction>,..."])
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return Checked(errors=[f"{path}: {exc}"])
    try:
        db.text_factory = bytes  # decoded here, so broken UTF-8 names its row
        return _waline_rows(db, mapping)
    except sqlite3.Error as exc:
        return Checked(errors=[f"{path}: not a Waline database ({exc})"])
    finally:
        db.close()


def _waline_rows(db: sqlite3.Connection, mapping: dict[str, str]) -> Checked:
    columns = [str(row[1], "utf-8") for row in db.execute(f"PRAGMA table_info({WALINE_TABLE})")]
    if not columns:
        return Checked(errors=[f"the database has no {WALINE_TABLE} table"])
    checked = Checked()
    missing = sorted(set(mapping) - set(columns))
    if missing or "url" not in columns:
        names = ", ".join(repr(m) for m in missing or ["url"])
        return Checked(errors=[f"{WALINE_TABLE} has no column {names}"])
    if len(set(mapping.values())) != len(mapping):
        return Checked(errors=["--map gives two columns the same reaction"])
    left_out = [c for c in columns if WALINE_REACTION.fullmatch(c) and c not in mapping]
    wanted = [*mapping, *left_out]
    query = ", ".join(f'"{c}"' for c in ["id", "url", *wanted])
    seen = _Seen()
    for values in db.execute(f'SELECT {query} FROM "{WALINE_TABLE}" ORDER BY id'):
        place = f"row id {values[0]}"
        try:
            url = values[1].decode("utf-8") if isinstance(values[1], bytes) else values[1]
            article = _checked(check_article, url)
            seen.check(article, place)
            counts = {key: _count(v) for key, v in zip(mapping.values(), values[2:], strict=False)}
            for column, value in zip(left_out, values[2 + len(mapping) :], strict=True):
                checked.ignored[column] = checked.ignored.get(column, 0) + _count(value)
            checked.rows.append(ImportRow(article, counts))
        except UnicodeDecodeError:
            checked.errors.append(f"{place}: url is not UTF-8 (a broken encoding)")
        except ValueError as exc:
            checked.errors.append(f"{place}: {exc}")
    return checked
