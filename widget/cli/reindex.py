"""Rebuild a site's indexes from its articles: ``flask --app widget reindex [SITE]``.

The rebuild itself is the store's (``store/rebuild.py``, which says how and why); this is
the command that runs it for one site or every site and says what it found.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..context import get_sites, get_store
from ..errors import cannot_reach_redis
from ..sites import Site, SiteError
from ..store import STORAGE_ERRORS
from .progress import progress


@click.command("reindex")
@click.argument("site_id", required=False)
@click.option("--batch", default=500, show_default=True, type=click.IntRange(10, 10_000))
@with_appcontext
def reindex_command(site_id: str | None, batch: int) -> None:
    """Rebuild the per-site indexes from the articles (every site, or SITE_ID)."""
    sites = get_sites()
    targets: list[Site]
    try:
        targets = sites.all() if site_id is None else [sites.require(site_id)]
        if not targets:
            click.echo("no sites yet: nothing to reindex")
        store = get_store()
        for site in targets:
            with progress(f"reindex {site.id}", store.indexes.article_count(site.id)) as bar:
                result = store.indexes.rebuild(site.id, site.reaction_keys, batch, bar.update)
            click.echo(
                f"reindexed {result.site!r}: {result.articles} articles, "
                f"{result.reactions} reactions, {result.days} days of history "
                f"in {result.seconds:.2f}s"
            )
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    except STORAGE_ERRORS as exc:
        raise click.ClickException(cannot_reach_redis(exc)) from None
