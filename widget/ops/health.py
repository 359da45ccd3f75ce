"""Operations endpoints: liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from flask import Blueprint, Response, jsonify

from ..context import get_store
from ..errors import storage_full_response, storage_unavailable
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
def readyz() -> Response:
    """Say whether Redis answers and has room, so a load balancer sends traffic only then."""
    try:
        store = get_store()
        store.ping()
        if store.memory_full():
            return storage_full_response()
    except STORAGE_ERRORS:
        return storage_unavailable("Redis does not answer")
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_page() -> Response:
    """Return the service's metrics in the Prometheus text format, over every worker."""
    return metrics.render()


@bp.get("/v1/openapi.json")
def openapi() -> Response:
    """Return the OpenAPI document of the HTTP API."""
    response = jsonify(openapi_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
