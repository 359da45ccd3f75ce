"""``flask --app widget sites keys SITE [add NAME --role R | revoke NAME]``: a site's keys.

Lists the keys (name, role, created, last used; never a key or its digest), makes one
(printed this once) or revokes one (it stops working at once, its dashboard sessions
end). Each change is one audit-log entry by ``cli``, as the API's would be by its key.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..context import get_sites, get_store
from ..publisher.audit import record_key
from ..sites.api_keys import ROLES
from .friendly import friendly_errors


@click.command("keys")
@click.argument("site_id")
@click.argument("action", required=False, type=click.Choice(["add", "revoke"]))
@click.argument("name", required=False)
@click.option("--role", type=click.Choice(ROLES), help="The new key's role (with add).")
@with_appcontext
@friendly_errors
def keys_command(site_id: str, action: str | None, name: str | None, role: str | None) -> None:
    """List a site's keys; add NAME --role R makes one (printed once); revoke NAME ends one."""
    run(site_id, action, name, role)


def run(site_id: str, action: str | None, name: str | None, role: str | None) -> None:
    """Do what the command was asked."""
    sites = get_sites()
    if action is None:
        site = sites.require(site_id)
        used = get_store().key_use.all(site.id)
        click.echo("name\trole\tcreated\tlast used")
        for key in site.keys:
            click.echo(f"{key.name}\t{key.role}\t{key.created_at}\t{used.get(key.name, 'never')}")
        return
    if name is None:
        raise click.UsageError(f"name the key: sites keys {site_id} {action} NAME")
    if action == "add":
        if role is None:
            raise click.UsageError(f"give the key a role: --role {'|'.join(ROLES)}")
        key, api_key = sites.add_key(site_id, name, role)
        record_key(site_id, "key.create", key)
        click.echo(f"new {key.role} key {key.name!r} for {site_id!r} (shown once, keep it safe):")
        click.echo(api_key)
        return
    key = sites.revoke_key(site_id, name)
    record_key(site_id, "key.revoke", key)
    click.echo(f"revoked key {key.name!r} of {site_id!r}: it no longer works")
