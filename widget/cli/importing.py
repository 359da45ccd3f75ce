"""``flask --app widget import SITE FILE``: counts from the tool a publisher leaves.

The whole file is read and checked first (``import_files.py``); a file with any bad row
is refused, each bad row named, and nothing is written. Then the rows go to the store in
batches (``store/imports.py``: pipelined, 100,000 articles in seconds), under the
progress bar of long commands. Importing the same file again replaces the imported
counts instead of adding them twice, so an import that stopped half way is run again.

An import may take a site past ``MAX_ARTICLES_PER_SITE``: the ceiling bounds what
anonymous readers can make the service store, and an import is the operator's own act
(it says so, as readers' new articles are then refused until the ceiling is raised).
"""

from __future__ import annotations

from pathlib import Path

import click
import redis
from flask import current_app
from flask.cli import with_appcontext

from ..config import MAX_ARTICLES_PER_SITE
from ..context import get_sites, get_store
from ..errors import cannot_reach_redis
from ..publisher import audit
from ..sites import SiteError
from ..store import STORAGE_ERRORS, is_out_of_memory
from .import_files import Checked, parse_map, read_csv, read_waline
from .progress import progress

READERS = {"csv": read_csv, "waline": read_waline}
ERRORS_SHOWN = 100


@click.command("import")
@click.argument("site_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(sorted(READERS)), default="csv", show_default=True
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=REACTION,...",
    help="Count a column as one of the site's reactions (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Only check the file; write nothing.")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def import_command(
    site_id: str, file: Path, fmt: str, maps: tuple[str, ...], dry_run: bool, batch: int
) -> None:
    """Import an article's counts from before (the export's CSV, or a Waline database)."""
    try:
        site = get_sites().require(site_id)
        try:
            mapping = parse_map(maps, site.reaction_keys)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        checked = READERS[fmt](file, site.reaction_keys, mapping)
        if not checked.errors:
            checked.errors.extend(_aliases_named(site.id, checked))
        _refuse_if_bad(file, checked)
        for column, left in sorted(checked.ignored.items()):
            click.echo(f"{column} is in no --map: its {left} reactions are left out", err=True)
        rows, reactions = len(checked.rows), checked.reactions
        if dry_run:
            click.echo(
                f"checked {rows} articles, {reactions} reactions: nothing written (--dry-run)"
            )
            return
        store = get_store()
        articles = imported = 0
        with progress(f"import {site.id}", rows) as bar:
            for start in range(0, rows, batch):
                chunk = checked.rows[start : start + batch]
                tally = store.imports.write(site.id, chunk, site.reaction_keys)
                articles += tally.articles
                imported += tally.imported
                bar.update(len(chunk))
        audit.record(
            site.id,
            "import",
            file.name,
            None,
            {"format": fmt, "articles": articles, "reactions": imported},
        )
        most = int(current_app.config[MAX_ARTICLES_PER_SITE])
        held = store.indexes.article_count(site.id)
        if most and held > most:
            click.echo(
                f"site {site.id!r} now holds {held} articles, over MAX_ARTICLES_PER_SITE "
                f"({most}): readers cannot start new articles until it is raised",
                err=True,
            )
        click.echo(f"imported {articles} articles, {imported} reactions")
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    except STORAGE_ERRORS as exc:
        raise click.ClickException(cannot_reach_redis(exc)) from None
    except redis.exceptions.ResponseError as exc:
        if not is_out_of_memory(exc):
            raise
        raise click.ClickException(
            "Redis is out of memory (maxmemory): the import stopped part way; make room, "
            "then run it again (it replaces what it wrote)"
        ) from None


def _aliases_named(site_id: str, checked: Checked) -> list[str]:
    """Return an error for each row naming an alias: a moved article's id counts nothing."""
    states = get_store().moves.states(site_id, [row.article for row in checked.rows])
    return [
        f"article {article[:80]!r} was moved to {alias[:80]!r}: import its counts under that id"
        for article, (_, alias) in states.items()
        if alias is not None
    ]


def _refuse_if_bad(file: Path, checked: Checked) -> None:
    if not checked.errors:
        return
    for error in checked.errors[:ERRORS_SHOWN]:
        click.echo(error, err=True)
    more = len(checked.errors) - ERRORS_SHOWN
    if more > 0:
        click.echo(f"... and {more} more", err=True)
    found = len(checked.errors)
    problems = "1 problem" if found == 1 else f"{found} problems"
    raise click.ClickException(f"{file.name}: {problems} found: nothing imported")
