"""The flask commands: ``flask --app widget sites ...``, ``reindex`` and ``demo-data``.

The ``sites`` group lives here; ``reindex.py`` and ``demo_data.py`` hold the other two,
``articles.py`` the ``articles`` group.
"""

from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..context import RANDOM_SECRET_KEY, get_sites, get_store
from ..publisher.audit import record, record_settings
from ..sites import SiteError
from ..sites.settings import change_settings, settings_json
from ..sites.signing import signing_secret
from ..sites.site import DESCRIBED
from .articles import articles_cli
from .backup import backup_command, restore_command
from .demo_data import demo_data_command
from .friendly import friendly_errors
from .importing import import_command
from .keys import keys_command
from .progress import progress
from .reindex import reindex_command

sites_cli = AppGroup("sites", help="Create and manage the sites that embed the widget.")


@sites_cli.command("create")
@click.argument("site_id")
@click.option("--name", default="", help="A name for people; the id if not given.")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="An allowed origin (scheme://host[:port]); repeat for several. None: any origin.",
)
@friendly_errors
def create(site_id: str, name: str, origins: tuple[str, ...]) -> None:
    """Create a site and print its first key, an admin key named admin (shown this once)."""
    site, api_key = get_sites().create(site_id, name, list(origins))
    click.echo(f"created site {site.id!r}")
    click.echo(f"origins: {', '.join(site.origins) or 'any'}")
    click.echo(f"admin API key named admin (shown once, keep it safe): {api_key}")


@sites_cli.command("list")
@friendly_errors
def list_sites() -> None:
    """List every site."""
    sites = get_sites().all()
    if not sites:
        click.echo("no sites yet: flask --app widget sites create <id> --origin <origin>")
    for site in sites:
        click.echo(f"{site.id}\t{site.name}\t{' '.join(site.origins) or '(any origin)'}")


@sites_cli.command("show")
@click.argument("site_id")
@friendly_errors
def show(site_id: str) -> None:
    """Show one site as JSON: its id, every setting, when it was made (never its key)."""
    site = get_sites().require(site_id)
    click.echo(json.dumps(site.as_json(DESCRIBED), indent=2, ensure_ascii=False))


@sites_cli.command("set-origins")
@click.argument("site_id")
@click.argument("origins", nargs=-1)
@friendly_errors
def set_origins(site_id: str, origins: tuple[str, ...]) -> None:
    """Replace the site's allowed origins; none at all allows any origin."""
    before, site = get_sites().change_origins(site_id, list(origins))
    record_settings(before, site)
    click.echo(f"origins of {site.id!r}: {', '.join(site.origins) or 'any'}")


@sites_cli.command("settings")
@click.argument("site_id")
@click.option(
    "--set",
    "patch",
    metavar="JSON",
    help="Change settings, as PATCH /v1/sites/{site}/settings does: a JSON object.",
)
@friendly_errors
def settings(site_id: str, patch: str | None) -> None:
    """Print the site's settings as JSON; with --set, change them first."""
    if patch is None:
        site = get_sites().require(site_id)
    else:
        try:
            body = json.loads(patch)
        except ValueError as exc:
            raise SiteError(f"--set is not valid JSON: {exc}") from None
        before, site = change_settings(get_sites(), get_store(), site_id, body)
        record_settings(before, site)
    click.echo(json.dumps(settings_json(site), indent=2, ensure_ascii=False))


@sites_cli.command("rotate-key")
@click.argument("site_id")
@friendly_errors
def rotate_key(site_id: str) -> None:
    """Give the site a new admin key named admin; the old one stops working."""
    api_key = get_sites().rotate_key(site_id)
    record(site_id, "key.rotate", "admin")  # what changed is a key: nothing else to log
    click.echo(f"new API key for {site_id!r} (shown once; the old key no longer works):")
    click.echo(api_key)


@sites_cli.command("signing-secret")
@click.argument("site_id")
@click.option("--rotate", is_flag=True, help="Make a new secret (the old one stops working).")
@friendly_errors
def signing_secret_command(site_id: str, rotate: bool) -> None:
    """Make the site's signing secret for signed articles and print it once."""
    sites = get_sites()
    if not rotate:
        site = sites.require(site_id)
        has = "has a signing secret" if site.signing_nonce else "has no signing secret yet"
        state = "on" if site.signed_articles else "off"
        click.echo(f"site {site_id!r} {has} (signed articles: {state}); --rotate makes one")
        return
    if current_app.extensions.get(RANDOM_SECRET_KEY):
        # The secret derives from SECRET_KEY: one made here would not be the service's.
        raise SiteError("set SECRET_KEY to the service's own: the signing secret derives from it")
    site = sites.rotate_signing_nonce(site_id)
    record(site_id, "signing_secret.rotate")  # a secret: the action only, never its value
    click.echo(f"signing secret for {site_id!r} (shown once; the old one no longer works):")
    click.echo(signing_secret(current_app.config["SECRET_KEY"], site))


@sites_cli.command("delete")
@click.argument("site_id")
@click.option("--yes", is_flag=True, help="Do not ask, even at a terminal.")
@friendly_errors
def delete(site_id: str, yes: bool) -> None:
    """Delete a site with all of its counts, readers and history."""
    if not yes and sys.stdin.isatty():
        click.confirm(f"Delete site {site_id!r} and all of its reactions?", abort=True)
    articles = get_store().indexes.article_count(get_sites().require(site_id).id)
    with progress(f"delete {site_id}", articles) as bar:
        get_sites().delete(site_id, bar.update)
    click.echo(f"deleted site {site_id!r}")


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""
    sites_cli.add_command(backup_command)
    sites_cli.add_command(restore_command)
    sites_cli.add_command(keys_command)
    app.cli.add_command(sites_cli)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(reindex_command)
    app.cli.add_command(import_command)
    app.cli.add_command(articles_cli)
