"""One JSON shape for every error the service answers, from one set of handlers.

Views raise ``ApiError`` (or any werkzeug ``HTTPException``); a Redis outage becomes 503
``storage_unavailable`` and a Redis out of memory (``maxmemory`` reached, ``noeviction``)
503 ``storage_full``, both with ``Retry-After``; anything unexpected is logged and becomes
a JSON 500. No HTML page and no traceback ever reaches a client.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from redis.exceptions import ResponseError
from werkzeug.exceptions import HTTPException

from . import metrics
from .store import STORAGE_ERRORS, is_out_of_memory

# The default code for each status, where a view did not name a more precise one.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "storage_unavailable",
}

STORAGE_RETRY_AFTER = 2
# A full Redis frees no memory by itself: an operator has to raise maxmemory or make room.
STORAGE_FULL_RETRY_AFTER = 60


class ApiError(HTTPException):
    """An error answer with a status, a machine-readable code and a message for a person."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = code
        self.extra_headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, Any] | None = None
) -> Response:
    """Return the JSON answer for an error."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = str(value)
    return response


def storage_full_response() -> Response:
    """Return the 503 answer for a Redis that refuses writes: it is out of memory."""
    return error_response(
        503,
        "storage_full",
        "the storage is full; try again later",
        {"Retry-After": STORAGE_FULL_RETRY_AFTER},
    )


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = getattr(exc, "error_code", None) or DEFAULT_CODES.get(status, "bad_request")
    headers: dict[str, Any] = dict(getattr(exc, "extra_headers", {}))
    # Keep the headers werkzeug attaches (Allow on a 405, Retry-After on a 429).
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            headers.setdefault(name, value)
    message = exc.description or (exc.name if exc.name else "error")
    return error_response(status, code, message, headers)


def register(app: Flask) -> None:
    """Install the JSON error handlers on the app."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _http_error(exc)

    for storage_error in STORAGE_ERRORS:

        @app.errorhandler(storage_error)
        def storage_unavailable(exc: Exception) -> Response:
            app.logger.warning("storage unavailable: %s", exc)
            metrics.storage_error()
            return error_response(
                503,
                "storage_unavailable",
                "the storage is unavailable; try again shortly",
                {"Retry-After": STORAGE_RETRY_AFTER},
            )

    @app.errorhandler(ResponseError)
    def redis_error(exc: ResponseError) -> Response:
        # An OOM comes as OutOfMemoryError from a command, but wrapped in a script's error
        # ("Error running script ... -OOM ...") from a Lua script that writes.
        if is_out_of_memory(exc):
            app.logger.warning("storage full: %s", exc)
            metrics.storage_error()
            return storage_full_response()
        return internal_error(exc)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "an unexpected error occurred")
