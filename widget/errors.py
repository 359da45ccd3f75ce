"""One JSON shape for every error the service answers, from one set of handlers.

Views raise ``ApiError`` (or any werkzeug ``HTTPException``); a Redis outage becomes 503
``storage_unavailable`` and a Redis out of memory (``maxmemory`` reached, ``noeviction``)
503 ``storage_full``, both with ``Retry-After``; anything unexpected is logged and becomes
a JSON 500. No HTML page and no traceback ever reaches a client.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from redis.exceptions import ResponseError
from werkzeug.exceptions import HTTPException

from . import config
from .ops import metrics
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

# A client that sends its whole body before it reads the answer (most do) gets a
# connection reset instead of a 413 if the server closes the socket on unread bytes;
# reading and dropping up to this much of the body first lets it read the 413.
DRAIN_BYTES = 1024 * 1024


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


def storage_unavailable(
    message: str = "the storage is unavailable; try again shortly",
) -> Response:
    """Return the 503 answer to a request that Redis did not answer, and count it."""
    metrics.storage_error()
    return error_response(503, "storage_unavailable", message, {"Retry-After": STORAGE_RETRY_AFTER})


def cannot_reach_redis(exc: Exception) -> str:
    """Return what a command says when Redis does not answer."""
    return f"cannot reach Redis ({exc}); is {config.REDIS_URL} right and Redis running?"


def drain_body() -> None:
    """Read and drop what is left of the request body, up to DRAIN_BYTES."""
    environ = request.environ
    # Only a stream the server ends itself (gunicorn's, bounded by Content-Length or the
    # last chunk) is safe to read to its end: a raw socket file would wait for more.
    if "wsgi.input_terminated" not in environ:
        return
    length = request.content_length
    if length is not None and length > DRAIN_BYTES:
        return  # too much to read for nothing: let the server close
    stream = environ["wsgi.input"]
    left = DRAIN_BYTES
    try:
        while left > 0:
            chunk = stream.read(min(left, 65536))
            if not chunk:
                return
            left -= len(chunk)
    except Exception:  # best effort: a client that went away reads no answer anyway
        return


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
    if status == 413:
        drain_body()
    code = getattr(exc, "error_code", None) or DEFAULT_CODES.get(status, "bad_request")
    headers: dict[str, Any] = dict(getattr(exc, "extra_headers", {}))
    # Keep the headers werkzeug attaches (Allow on a 405, Retry-After on a 429).
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            headers.setdefault(name, value)
    message = exc.description or (exc.name if exc.name else "error")
    return error_response(status, code, message, headers)


def nosniff(response: Response) -> Response:
    """Tell browsers to take every answer as the type it says it is, errors included."""
    # A JSON error or a counts answer echoes text a client chose; sniffed as HTML or a
    # script, it could run on the service's origin.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register(app: Flask) -> None:
    """Install the JSON error handlers, and nosniff on every answer, on the app."""
    app.after_request(nosniff)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _http_error(exc)

    for storage_error in STORAGE_ERRORS:

        @app.errorhandler(storage_error)
        def storage_error_handler(exc: Exception) -> Response:
            app.logger.warning("storage unavailable: %s", exc)
            return storage_unavailable()

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
