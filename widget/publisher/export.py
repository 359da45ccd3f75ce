"""The export: every article of a site as CSV or JSON, and the article object it shares.

One list of columns, ``COLUMNS``, drives the CSV's header and rows, the JSON export's
objects, and the article object of the publisher API (``articles``, ``article``): a new
column is one entry here. ``COUNTS`` stands for the reaction counts: one CSV column per
key, a ``counts`` object in JSON.

The CSV's columns start as the contract says, whatever the set's order: the default
reactions where they were, and keys added through the settings (retired ones too) after
the last column, in the order they were added, so a spreadsheet built on it keeps working.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..sites import Site
from ..store import ArticleRecord, Store

EXPORT_BATCH = 500
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COUNTS = "counts"


@dataclass(frozen=True)
class Column:
    """A column of the export: its name, its value in an article's record, and whether it
    is a text that readers or publishers wrote (guarded against spreadsheet formulas)."""

    name: str
    value: Callable[[ArticleRecord], Any]
    text: bool = False


COLUMNS = (
    Column("article", lambda r: r.article, text=True),
    Column("title", lambda r: r.title, text=True),
    Column("url", lambda r: r.url, text=True),
    Column(COUNTS, lambda r: r.counts),
    Column("total", lambda r: r.total),
    Column("first_reaction_at", lambda r: r.first_reaction_at),
    Column("last_reaction_at", lambda r: r.last_reaction_at),
)


def record_json(record: ArticleRecord) -> dict[str, Any]:
    """Return an article as the publisher API lists it and the JSON export holds it."""
    return {column.name: column.value(record) for column in COLUMNS}


def _export_batches(store: Store, site: Site) -> Iterator[list[ArticleRecord]]:
    for hashes in store.indexes.scan(site.id, EXPORT_BATCH):
        yield store.articles.records(site.id, hashes, site.reaction_keys)


def _csv_keys(site: Site) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the reaction columns in COUNTS' place (the set the site began with) and last."""
    added = set(site.added_keys)
    keys = site.export_keys
    first = tuple(k for k in keys if k not in added)
    return first, tuple(k for k in keys if k in added)


def csv_header(site: Site) -> list[str]:
    """Return the export's CSV header: the default reactions' columns, then added ones."""
    defaults, added = _csv_keys(site)
    names = [[*defaults] if c.name == COUNTS else [c.name] for c in COLUMNS]
    return [name for group in names for name in group] + list(added)


def _cell(column: Column, record: ArticleRecord) -> Any:
    value = column.value(record)
    if value is None:
        return ""
    # A spreadsheet runs a cell that starts like a formula; readers wrote these texts.
    if column.text and str(value).startswith(CSV_FORMULA_STARTS):
        return "'" + str(value)
    return value


def _csv_row(record: ArticleRecord, defaults: tuple[str, ...], added: tuple[str, ...]) -> list[Any]:
    row: list[Any] = []
    for column in COLUMNS:
        if column.name == COUNTS:
            row += [record.counts[k] for k in defaults]
        else:
            row.append(_cell(column, record))
    return row + [record.counts[k] for k in added]


def export_csv(store: Store, site: Site) -> Iterator[str]:
    """Yield the CSV export in chunks, one batch of articles at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_header(site))
    defaults, added = _csv_keys(site)
    for records in _export_batches(store, site):
        writer.writerows(_csv_row(r, defaults, added) for r in records)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_json(store: Store, site: Site) -> Iterator[str]:
    """Yield the JSON export (an array of article objects) in chunks."""
    yield "["
    first = True
    for records in _export_batches(store, site):
        if not records:
            continue
        chunk = ",\n".join(json.dumps(record_json(r), ensure_ascii=False) for r in records)
        yield ("\n" if first else ",\n") + chunk
        first = False
    yield "\n]\n"
