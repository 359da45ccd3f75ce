"""Webhooks: a site's programs hear of milestones, daily digests and pings, signed.

    hooks.py    the checks, and making and deleting a webhook (API and dashboard)
    api.py      the publisher API's routes (``.../webhooks``), on the publisher blueprint
    ssrf.py     a receiver's URL must resolve to a public address; the checked address
    signing.py  Standard Webhooks signatures (the ``standardwebhooks`` package)
    sender.py   one attempt: a POST to the checked address, 5 s, no redirects
    events.py   the events' payloads, the daily digest, the fan-out into deliveries
    worker.py   the delivery worker; cli.py its commands (``webhooks work``, ``digest``)
    gauges.py   the queue's depth and age on /metrics

Their keys and scripts are the store's (``store/webhooks.py``, ``store/events.py``).
Importing this package attaches the routes to the publisher blueprint.
"""

from __future__ import annotations

from . import api, gauges  # noqa: F401  (routes on the publisher blueprint; /metrics)
from .cli import webhooks_cli

__all__ = ["webhooks_cli"]
