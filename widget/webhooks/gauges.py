"""The webhooks' queue on ``/metrics``: read from Redis when the metrics are scraped.

Gauges of a shared queue, not of one process: each scrape reads the stream's length, the
pending deliveries and the oldest waiting event's age (one pipeline), so every gunicorn
worker answers the same. A scrape while Redis is down shows none of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import has_app_context
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..context import get_store
from ..ops import metrics
from ..store import STORAGE_ERRORS


class QueueGauges(Collector):
    """Collects the webhooks' queue depth and the oldest waiting event's age."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the gauges (none outside an app, or while Redis does not answer)."""
        if not has_app_context():
            return
        try:
            events, due, age = get_store().webhook_queue.depth()
        except STORAGE_ERRORS:
            return
        yield GaugeMetricFamily(
            "reactions_webhook_events_queued",
            "Webhook events waiting for the worker's fan-out.",
            value=events,
        )
        yield GaugeMetricFamily(
            "reactions_webhook_deliveries_pending",
            "Webhook deliveries waiting for an attempt or a retry.",
            value=due,
        )
        yield GaugeMetricFamily(
            "reactions_webhook_oldest_event_age_seconds",
            "Age of the oldest webhook event not yet fanned out (0: none waits).",
            value=age or 0.0,
        )


metrics.collect_at_scrape(QueueGauges())
