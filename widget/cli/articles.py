"""``flask --app widget articles move``: one article, or a whole redesign from a CSV map.

``articles move SITE FROM TO`` is ``POST .../article/move``. ``articles move SITE --map
moves.csv`` reads rows ``from,to`` (a header row ``from,to`` is optional) and checks the
whole map before the first move: each id, each row against the site as it will be when
the rows before it have run (a ``from`` with no counts, one moved already, a ``to`` that
is ``from``'s own alias, a broken encoding). Any bad row and the command names each one
by its line and moves nothing; otherwise the rows run in order, with a progress bar on a
terminal (``progress.py``), and the command ends with one result line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import click
from flask.cli import AppGroup

from ..context import get_sites, get_store
from ..errors import ApiError
from ..publisher.moves import move_article
from ..sites import Site
from ..validation import check_article
from .friendly import friendly_errors
from .progress import progress

articles_cli = AppGroup("articles", help="Move and merge a site's articles.")

MAX_REPORTED = 50  # bad rows named, at most; the count says how many there were


@dataclass(frozen=True)
class Row:
    line: int
    source: str
    target: str


def read_map(data: bytes) -> tuple[list[Row], list[str]]:
    """Return the rows of a CSV map and the errors of its bad rows (each naming its line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [f"line {line}: not UTF-8 (byte {data[exc.start]:#04x})"]
    rows: list[Row] = []
    errors: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    for fields in reader:
        line = reader.line_num
        if not fields or fields == [""]:
            continue
        if not rows and not errors and [f.strip().lower() for f in fields] == ["from", "to"]:
            continue  # the optional header
        if len(fields) != 2:
            errors.append(f"line {line}: a row is two fields, from and to ({len(fields)} here)")
            continue
        try:
            rows.append(Row(line, check_article(fields[0]), check_article(fields[1])))
        except ApiError as exc:
            errors.append(f"line {line}: {exc.description}")
    return rows, errors


def plan(site: Site, rows: list[Row]) -> list[str]:
    """Return the errors of the rows that would be refused, the rows before them done."""
    states = get_store().moves.states(
        site.id, list({r.source for r in rows} | {r.target for r in rows})
    )
    alias_of = {article: alias for article, (_, alias) in states.items() if alias}
    exists = {article for article, (has, alias) in states.items() if has and not alias}
    into: dict[str, list[str]] = {}
    moved_by: dict[str, int] = {}
    errors = []
    for row in rows:
        source, target = row.source, alias_of.get(row.target, row.target)
        if row.source == row.target:
            errors.append(f"line {row.line}: from and to are the same article")
        elif source in alias_of:
            where = f"by line {moved_by[source]}" if source in moved_by else "already"
            errors.append(f"line {row.line}: {source[:64]!r} is moved {where}")
        elif source not in exists:
            errors.append(f"line {row.line}: nobody reacted to {source[:64]!r}")
        elif target == source:
            errors.append(f"line {row.line}: {row.target[:64]!r} is an alias of {source[:64]!r}")
        else:
            carried = [source, *into.pop(source, [])]
            for alias in carried:
                alias_of[alias] = target
            into.setdefault(target, []).extend(carried)
            moved_by[source] = row.line
            exists.discard(source)
            exists.add(target)
    return errors


def _report(errors: list[str]) -> Iterator[str]:
    yield from errors[:MAX_REPORTED]
    if len(errors) > MAX_REPORTED:
        yield f"... and {len(errors) - MAX_REPORTED} more bad rows"


@articles_cli.command("move")
@click.argument("site_id")
@click.argument("source", metavar="FROM", required=False)
@click.argument("target", metavar="TO", required=False)
@click.option("--map", "map_file", type=click.File("rb"), help="A CSV of rows from,to.")
@friendly_errors
def move_command(
    site_id: str, source: str | None, target: str | None, map_file: BinaryIO | None
) -> None:
    """Move article FROM to TO (merging if TO has counts), or every row of --map."""
    _move(site_id, source, target, map_file)


def _move(site_id: str, source: str | None, target: str | None, map_file: BinaryIO | None) -> None:
    if (map_file is None) == (source is None or target is None) or (map_file and source):
        raise click.UsageError("give FROM and TO, or --map FILE (not both)")
    site = get_sites().require(site_id)
    if map_file is None:
        assert source is not None and target is not None
        try:
            moved = move_article(site, check_article(source), check_article(target))
        except ApiError as exc:
            raise click.ClickException(str(exc.description)) from None
        how = "merged into" if moved.merged else "moved to"
        click.echo(
            f"{moved.source!r} {how} {moved.article!r}: {sum(moved.after.values())} reactions"
        )
        return
    rows, errors = read_map(map_file.read())
    if not errors:
        errors = plan(site, rows)
    if errors:
        for error in _report(errors):
            click.echo(error, err=True)
        raise click.ClickException(f"{len(errors)} bad rows in the map: nothing was moved")
    merged = 0
    with progress("moving articles", len(rows)) as bar:
        for done, row in enumerate(rows):
            try:
                merged += move_article(site, row.source, row.target).merged
            except ApiError as exc:  # the site changed since the check
                raise click.ClickException(
                    f"line {row.line}: {exc.description} ({done} rows moved before it)"
                ) from None
            bar.update(1)
    click.echo(f"moved {len(rows)} articles of {site.id!r} ({merged} merged into one with counts)")
