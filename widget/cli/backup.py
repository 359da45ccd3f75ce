"""``sites backup`` and ``sites restore``: a whole site in one file, back in any Redis.

The file's frame and checks are ``backup_file.py``'s; the three sections of a site that
exist today are here: the site's record (its settings, reaction set and key digest), its
series (the days and refusals of the dashboard), and its articles (everything of each,
its readers by the digest the service keeps). The Redis side is ``store/backup.py``.

A restore checks the whole file first, then writes the site's data, and its record last:
until then no reader or publisher sees a half-restored site, and a restore stopped by a
Redis failure is simply run again (every write sets, nothing adds).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import redis
from flask.cli import with_appcontext

from ..context import get_sites, get_store
from ..errors import cannot_reach_redis
from ..publisher import audit
from ..sites import Site, SiteError, check_site_id
from ..store import STORAGE_ERRORS, Store, is_out_of_memory
from ..validation import check_article
from .backup_file import (
    FORMAT,
    SECTIONS,
    VERSION,
    BackupError,
    Checked,
    RestoreContext,
    Section,
    Writer,
    check,
    records,
    section_of,
)
from .backup_parts import AUDIT_SECTION, WEBHOOKS_SECTION
from .progress import progress

ARTICLE_BATCH = 500
READERS_PER_LINE = 10_000  # an article with more readers continues on "readers" lines


# -- the site's record ---------------------------------------------------------------


def _write_site(store: Store, site: Site) -> Iterator[dict[str, Any]]:
    yield {"kind": "site", "record": store.sites.load(site.id)}


def _check_site(record: dict[str, Any]) -> None:
    Site.from_json(record["record"])


def _restore_site(ctx: RestoreContext, record: dict[str, Any]) -> None:
    site_record = dict(record["record"], id=ctx.target)
    if ctx.renamed:
        site_record["key_digest"] = ""  # keys name their site: the copy has none yet
        site_record["keys"] = []
    ctx.site_record = site_record
    ctx.reaction_keys = Site.from_json(site_record).reaction_keys


# -- the site's series -----------------------------------------------------------------


def _write_series(store: Store, site: Site) -> Iterator[dict[str, Any]]:
    yield {"kind": "series", **store.backup.series(site.id)}


def _restore_series(ctx: RestoreContext, record: dict[str, Any]) -> None:
    ctx.store.backup.write_series(ctx.target, record)


# -- the articles ----------------------------------------------------------------------


def _write_articles(store: Store, site: Site) -> Iterator[dict[str, Any]]:
    for batch in store.backup.batches(site.id, ARTICLE_BATCH):
        for article in batch:
            readers = list(article.pop("readers").items())
            yield {"kind": "article", **article, "readers": dict(readers[:READERS_PER_LINE])}
            for start in range(READERS_PER_LINE, len(readers), READERS_PER_LINE):
                part = dict(readers[start : start + READERS_PER_LINE])
                yield {"kind": "readers", "article": article["id"], "readers": part}


def _texts(value: Any, name: str) -> None:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{name} must be an object of texts")


def _check_series(record: dict[str, Any]) -> None:
    for name in ("days", "refused"):
        _texts(record[name], name)


def _check_article(record: dict[str, Any]) -> None:
    if record["kind"] == "readers":
        check_article(record["article"])
        _texts(record["readers"], "readers")
        return
    check_article(record["id"])
    for name in ("counts", "imported", "history"):
        if not all(isinstance(v, int) for v in record[name].values()):
            raise ValueError(f"{name} must be whole numbers")
    _texts(record["readers"], "readers")
    _texts(record["fields"], "fields")
    aliases = record.get("aliases", [])  # a backup from before moves has none
    if not isinstance(aliases, list):
        raise ValueError("aliases must be a list of article ids")
    for alias in aliases:
        check_article(alias)
    for name in ("title", "url", "first", "last"):
        if not isinstance(record[name], str | None):
            raise ValueError(f"{name} must be a text or null")


def _restore_article(ctx: RestoreContext, record: dict[str, Any]) -> None:
    pending: list[dict[str, Any]] = ctx.kept.setdefault("articles", [])
    if record["kind"] == "readers":
        _flush(ctx)
        ctx.store.backup.add_readers(ctx.target, record["article"], record["readers"])
        ctx.kept["readers"] = ctx.kept.get("readers", 0) + len(record["readers"])
        return
    pending.append(record)
    if len(pending) >= ARTICLE_BATCH:
        _flush(ctx)


def _flush(ctx: RestoreContext) -> None:
    pending: list[dict[str, Any]] = ctx.kept.setdefault("articles", [])
    if not pending:
        return
    sums = ctx.store.backup.write_articles(ctx.target, pending, ctx.reaction_keys)
    if "ranks" not in ctx.kept:
        ctx.kept["ranks"] = ctx.store.backup.rankings(ctx.target, ctx.reaction_keys)
    ctx.store.backup.rank(ctx.kept["ranks"], pending)
    totals: dict[str, int] = ctx.kept.setdefault("counts", {})
    for reaction, count in sums.items():
        totals[reaction] = totals.get(reaction, 0) + count
    ctx.kept["readers"] = ctx.kept.get("readers", 0) + sum(len(a["readers"]) for a in pending)
    ctx.done(len(pending))
    pending.clear()


def _finish_articles(ctx: RestoreContext) -> None:
    _flush(ctx)
    ctx.store.backup.add_counts(ctx.target, ctx.kept.get("counts", {}))
    if "ranks" in ctx.kept:  # the top list's day rankings, from the restored histories
        ctx.kept["ranks"].finish()


SECTIONS.extend(
    [
        Section("site", ("site",), _write_site, _restore_site, check=_check_site),
        Section("series", ("series",), _write_series, _restore_series, check=_check_series),
        Section(
            "articles",
            ("article", "readers"),
            _write_articles,
            _restore_article,
            _finish_articles,
            _check_article,
        ),
        WEBHOOKS_SECTION,
        AUDIT_SECTION,
    ]
)


# -- the commands ----------------------------------------------------------------------


def backup_site(store: Store, site: Site, out: Any) -> int:
    """Write a backup of the site to a binary stream; return how many articles it holds."""
    writer = Writer(out)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    writer.write(
        {"kind": "header", "format": FORMAT, "version": VERSION, "site": site.id, "at": stamp}
    )
    articles = 0
    with progress(f"backup {site.id}", store.indexes.article_count(site.id)) as bar:
        for section in SECTIONS:
            for record in section.write(store, site):
                writer.write(record)
                if record["kind"] == "article":
                    articles += 1
                    bar.update(1)
    writer.end()
    return articles


@click.command("backup")
@click.argument("site_id")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="The file.")
@with_appcontext
def backup_command(site_id: str, output: Path | None) -> None:
    """Write everything of a site to one file (standard output without --output)."""
    try:
        store, site = get_store(), get_sites().require(site_id)
        if output is None:
            backup_site(store, site, sys.stdout.buffer)
            return
        partial = output.with_name(output.name + ".part")  # a failed backup is no backup
        with partial.open("wb") as out:
            articles = backup_site(store, site, out)
        partial.replace(output)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    except STORAGE_ERRORS as exc:
        raise click.ClickException(cannot_reach_redis(exc)) from None
    click.echo(f"backed up site {site.id!r}: {articles} articles to {output}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_site", metavar="SITE", help="Restore under another site id.")
@click.option("--replace", is_flag=True, help="Replace a site of that id that exists.")
@with_appcontext
def restore_command(file: Path, as_site: str | None, replace: bool) -> None:
    """Make a site anew from a backup, in this Redis (one, or a Cluster)."""
    try:
        checked = check(file)
        if checked.kinds.get("site") != 1:
            raise BackupError("the file holds no site record (or more than one)")
        target = check_site_id(as_site or checked.header["site"])
    except (BackupError, SiteError) as exc:
        raise click.ClickException(f"{file.name}: {exc}; nothing restored") from None
    try:
        _restore(file, checked, target, replace)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    except STORAGE_ERRORS as exc:
        raise click.ClickException(
            f"{cannot_reach_redis(exc)}; the restore stopped part way: run it again"
        ) from None
    except redis.exceptions.ResponseError as exc:
        if not is_out_of_memory(exc):
            raise
        raise click.ClickException(
            "Redis is out of memory (maxmemory): the restore stopped part way; make room, "
            "then run it again"
        ) from None


def _restore(file: Path, checked: Checked, target: str, replace: bool) -> None:
    source = checked.header["site"]
    store, sites = get_store(), get_sites()
    if sites.get(target) is not None:
        if not replace:
            raise click.ClickException(
                f"site {target!r} exists: restore with --replace to replace it, or --as OTHER"
            )
        with progress(f"delete {target}", store.indexes.article_count(target)) as bar:
            sites.delete(target, bar.update)
    ctx = RestoreContext(store, target, source, renamed=target != source)
    with progress(f"restore {target}", checked.kinds.get("article", 0)) as bar:
        ctx.done = bar.update
        for record in records(file):
            section = section_of(record["kind"])
            assert section is not None  # check() refused any other kind
            section.restore(ctx, record)
        for section in SECTIONS:
            section.finish(ctx)
    if ctx.site_record is None or not store.sites.create(target, ctx.site_record):
        raise click.ClickException(f"site {target!r} was created meanwhile: restore again")
    articles = checked.kinds.get("article", 0)
    audit.record(target, "restore", file.name, None, {"from": source, "articles": articles})
    keys = " (no working key: make one with sites rotate-key)" if ctx.renamed else ""
    click.echo(
        f"restored site {target!r}: {articles} articles, {ctx.kept.get('readers', 0)} readers{keys}"
    )
