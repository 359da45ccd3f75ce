"""One log line per request: method, path, status, duration and a request id.

The request id is the client's ``X-Request-ID`` when it is sane (a proxy or a load
balancer made it, so its lines and ours can be matched), else a new one; either way it
is echoed in the answer's ``X-Request-ID``. ``LOG_FORMAT`` picks ``text`` or ``json``.

Privacy: the line never holds the query string (a reader token travels in it), a body,
or a client address. The path is only the route (site ids, never article ids or readers).
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time

from flask import Flask, Response, current_app, g, request, request_started

from .. import config
from ..clock import PerSecond

log = logging.getLogger("widget.requests")

FORMATS = ("text", "json")
REQUEST_ID_HEADER = "X-Request-ID"
# Ids that proxies make (UUIDs, hex, base64url, dotted or colon-separated); anything
# else, such as a header meant to break a log line, is replaced by one of ours.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")
MAX_PATH = 512
_UNPRINTABLE = re.compile(r"[\x00-\x20\x7f-\x9f\"\\]")
_FORMAT_KEY = "reactions.log_format"


def request_id() -> str:
    """Return the current request's id: the client's X-Request-ID if sane, else a new one."""
    rid: str | None = g.get("request_id")
    if rid is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        # An id only has to be unique, not secret: the random module, reseeded in each
        # forked worker, makes one without the system call of secrets.token_hex().
        rid = given if SANE_REQUEST_ID.fullmatch(given) else f"{random.getrandbits(128):032x}"
        g.request_id = rid
    return rid


def safe_path(path: str) -> str:
    """Return a path fit for one log line: short, without spaces or control characters."""
    if len(path) > MAX_PATH:
        path = path[:MAX_PATH] + "..."
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", path)


def format_line(fields: dict[str, object], fmt: str) -> str:
    """Return the log line of a request in the given format."""
    if fmt == "json":
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return (
        f"{fields['time']} {fields['method']} {fields['path']} {fields['status']} "
        f"{fields['duration_ms']}ms id={fields['request_id']}"
    )


# strftime once a second, not once a request.
_iso_second = PerSecond(lambda second: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))


def _now() -> str:
    now = time.time()
    second = int(now)
    return f"{_iso_second(second)}.{int((now - second) * 1000):03d}Z"


def _start_clock(sender: Flask, **_: object) -> None:
    # The request id is made when first asked for: by request_id(), at the latest for the line.
    g.log_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    if not log.isEnabledFor(logging.INFO):
        return response
    started = g.get("log_started", time.perf_counter())
    fields: dict[str, object] = {
        "time": _now(),
        "method": request.method,
        "path": safe_path(request.path),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "request_id": rid,
    }
    line = format_line(fields, current_app.extensions[_FORMAT_KEY])
    # Logger.info() would also walk the stack for the caller's file and line (findCaller),
    # which no line shows: a tenth of a cheap request's time. handle() keeps the filters,
    # handlers and propagation of Logger.info.
    log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, line, (), None))
    return response


def _ensure_handler() -> None:
    # One handler per process, whatever the number of apps made in it (tests make many).
    if not any(getattr(h, "reactions_requests", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.reactions_requests = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def init_app(app: Flask) -> None:
    """Log one line per request of the app and echo its request id."""
    fmt = str(app.config[config.LOG_FORMAT]).strip().lower()
    if fmt not in FORMATS:
        raise RuntimeError(f"bad value for {config.LOG_FORMAT}: expected text or json, got {fmt!r}")
    app.extensions[_FORMAT_KEY] = fmt
    _ensure_handler()
    request_started.connect(_start_clock, app)
    app.after_request(_log_request)
