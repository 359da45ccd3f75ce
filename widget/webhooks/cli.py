"""The ``webhooks`` commands: ``work`` (the delivery worker) and ``digest`` (one now).

``flask --app widget webhooks work`` runs until SIGTERM or Ctrl-C, then finishes the
attempts under way; the run command and ``docker-compose.yml`` start it beside gunicorn.
"""

from __future__ import annotations

import logging
import signal
from datetime import date
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup

from .. import config
from ..cli.friendly import friendly_errors
from ..context import get_sites, get_store
from .events import queue_digest
from .worker import Worker, parse_schedule

webhooks_cli = AppGroup("webhooks", help="Deliver the sites' webhooks.")


@webhooks_cli.command("work")
@click.option("--threads", default=8, show_default=True, help="Attempts made at once.")
@friendly_errors
def work(threads: int) -> None:
    """Deliver webhook events until stopped (SIGTERM, Ctrl-C)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("widget.webhooks").setLevel(logging.INFO)
    worker = Worker(
        get_store(),
        get_sites(),
        parse_schedule(current_app.config[config.WEBHOOK_RETRY_SCHEDULE]),
        bool(current_app.config[config.WEBHOOK_ALLOW_PRIVATE]),
        threads=max(1, threads),
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"webhooks worker {worker.consumer}: {threads} threads", err=True)
    worker.run()
    click.echo(f"webhooks worker stopped after {worker.attempted} attempts", err=True)


@webhooks_cli.command("digest")
@click.argument("site_id")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="The UTC day (YYYY-MM-DD) the digest sums up.")  # fmt: skip
@friendly_errors
def digest(site_id: str, day: object) -> None:
    """Queue a site's digest.daily of one day now (again, if it was sent)."""
    site = get_sites().require(site_id)
    when: date = day.date()  # type: ignore[attr-defined]
    event = queue_digest(get_store(), site, when)
    click.echo(f"queued the digest of {site.id!r} for {when.isoformat()} (event {event})")
