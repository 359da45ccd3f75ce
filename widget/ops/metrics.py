"""Prometheus metrics, correct across several gunicorn workers.

Each gunicorn worker is its own process with its own counters. With
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets it to a fresh folder when the
environment does not), prometheus_client keeps every worker's values in files there and
``/metrics`` sums them, so any worker answers with the whole service's figures. Without
it (the Flask test client, one process) the values live in this process.

Labels are bounded: the Flask endpoint name (never the raw path, which a client can make
up), the method (known ones, else ``other``), the status code, the reaction keys of the
sites, and the two refusal codes of a new article.
"""

from __future__ import annotations

import os
import struct
import time

from flask import Flask, Response, g, request, request_started
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "reactions_http_requests",
    "HTTP requests answered, by Flask endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "reactions_http_request_duration_seconds",
    "Time from the start of the request to its answer, by Flask endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REACTIONS_SET = Counter(
    "reactions_set",
    "Reactions set by readers, by reaction (withdraw: a reaction taken back).",
    ["reaction"],
)
STORAGE_ERRORS = Counter(
    "reactions_storage_errors",
    "Requests that could not reach Redis (answered 503 storage_unavailable).",
)
RATE_LIMITED = Counter(
    "reactions_rate_limited",
    "Requests refused by a rate limit (429), by Flask endpoint.",
    ["endpoint"],
)
ARTICLES_REFUSED = Counter(
    "reactions_articles_refused",
    "New articles refused, by code: article_limit (the site's ceiling) or new_article_budget "
    "(one address's new articles a day).",
    ["code"],
)

# Requests that matched no route (404, and 405 on a known path) share one label value.
UNMATCHED = "unmatched"
# A client may send any token as the method (gunicorn passes "FOO" on): every other one
# shares one label value, so no client can grow the label set.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"


def endpoint_label() -> str:
    """Return the metrics label of the current request: its Flask endpoint name."""
    rule = request.url_rule
    return rule.endpoint if rule is not None else UNMATCHED


def reaction_set(reaction: str) -> None:
    """Count one reaction set by a reader (``withdraw`` for a withdrawal)."""
    REACTIONS_SET.labels(reaction).inc()


def article_refused(code: str) -> None:
    """Count one new article refused (``article_limit`` or ``new_article_budget``)."""
    ARTICLES_REFUSED.labels(code).inc()


def storage_error() -> None:
    """Count one request that failed because Redis did not answer."""
    STORAGE_ERRORS.inc()


FILE_RACE_TRIES = 5
# Collectors read when /metrics is scraped (gauges of what Redis holds, the same in every
# worker): registered once here, and on each scrape's registry in multiprocess mode.
_AT_SCRAPE: list[Collector] = []


def collect_at_scrape(collector: Collector) -> None:
    """Add a collector that /metrics reads at each scrape."""
    REGISTRY.register(collector)
    _AT_SCRAPE.append(collector)


def multiprocess_dir() -> str | None:
    """Return the folder of the workers' metric files, or None in single-process mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render() -> Response:
    """Return every metric in the Prometheus text format, summed over the workers."""
    registry = REGISTRY
    if multiprocess_dir():
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        for collector in _AT_SCRAPE:
            registry.register(collector)
    # The format the scraper asks for: Prometheus text (0.0.4) by default, or OpenMetrics.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    for attempt in range(FILE_RACE_TRIES):
        try:
            body = encode(registry)
            break
        except struct.error:
            # A worker that has just started creates its metrics file empty and sizes it a
            # moment later; prometheus_client reading it in between fails to unpack it.
            # The file is whole within microseconds: read the folder again.
            if attempt == FILE_RACE_TRIES - 1:
                raise
            time.sleep(0.01)
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def _start_clock(sender: Flask, **_: object) -> None:
    # request_started fires before every before_request hook, so a request refused by
    # one of them (a rate limit) is timed too.
    g.metrics_started = time.perf_counter()


# The labelled children, kept by their label values: labels() validates and converts
# its arguments and takes a lock on every call. Bounded as the labels themselves are.
_request_children: dict[tuple[str, str, int], Counter] = {}
_latency_children: dict[str, Histogram] = {}


def _observe(response: Response) -> Response:
    endpoint = endpoint_label()
    status = response.status_code
    method = request.method
    if method not in KNOWN_METHODS:
        method = OTHER_METHOD
    requests = _request_children.get((endpoint, method, status))
    if requests is None:
        requests = REQUESTS.labels(endpoint, method, str(status))
        _request_children[(endpoint, method, status)] = requests
    requests.inc()
    started = g.get("metrics_started")
    if started is not None:
        latency = _latency_children.get(endpoint)
        if latency is None:
            latency = _latency_children[endpoint] = LATENCY.labels(endpoint)
        latency.observe(time.perf_counter() - started)
    if status == 429:
        RATE_LIMITED.labels(endpoint).inc()
    return response


def init_app(app: Flask) -> None:
    """Count and time every request of the app."""
    request_started.connect(_start_clock, app)
    app.after_request(_observe)
