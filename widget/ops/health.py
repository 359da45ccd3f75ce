"""Operations endpoints: liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import hmac
import json
from functools import cache
from importlib import resources
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .. import config
from ..context import get_store
from ..errors import error_response, storage_unavailable
from ..limits import address_key, configured, limiter
from ..sites.settings import openapi_schemas
from ..store import STORAGE_ERRORS
from . import metrics

bp = Blueprint("ops", __name__)


@cache
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document kept in the package, with the settings' schemas.

    ``Settings`` and ``SettingsPatch`` are made from the settings' declarations
    (``sites/site.py``), so a new setting is in the document without an edit here.
    """
    text = resources.files("widget.ops").joinpath("openapi.json").read_text("utf-8")
    document = dict(json.loads(text))
    document["components"]["schemas"].update(openapi_schemas())
    return document


@bp.get("/healthz")
def healthz() -> Response:
    """Say the process runs; touches no storage."""
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
@limiter.limit(configured(config.RATELIMIT_READYZ), key_func=address_key)
def readyz() -> Response:
    """Say whether Redis answers, so a load balancer sends traffic only then.

    A full Redis (``maxmemory``) still answers every read, so the service stays ready: the
    body says ``"storage": "full"`` for whoever watches, and the load balancer keeps the
    instance (taking every instance out would darken every widget for want of writes).
    Limited per address: each probe writes to Redis and asks its INFO.
    """
    try:
        store = get_store()
        store.ping()
        full = store.memory_full()
    except STORAGE_ERRORS:
        return storage_unavailable("Redis does not answer")
    response = jsonify({"status": "ok", "storage": "full"} if full else {"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


def _metrics_token_sent(token: str) -> bool:
    """Say whether the request carries ``Authorization: Bearer <token>``, in constant time."""
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Header values are Latin-1 text (werkzeug): each encodes, so nothing here raises.
    return hmac.compare_digest(sent.strip().encode("latin-1"), token.encode())


@bp.get("/metrics")
def metrics_page() -> Response:
    """Return the service's metrics in the Prometheus text format, over every worker.

    With ``METRICS_TOKEN`` set, only to a scraper that sends it as a bearer token: the
    metrics name every site's reaction keys and hold totals a site's policy may hide.
    """
    token = current_app.config.get(config.METRICS_TOKEN)
    if token and not _metrics_token_sent(token):
        return error_response(
            401,
            "unauthorized",
            "send the metrics token: Authorization: Bearer <METRICS_TOKEN>",
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return metrics.render()


@bp.get("/v1/openapi.json")
def openapi() -> Response:
    """Return the OpenAPI document of the HTTP API."""
    response = jsonify(openapi_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
