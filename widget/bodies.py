"""A request's JSON body, read once: the one helper of every endpoint that takes one.

Each endpoint says which media types it takes (the reader API's POST also takes
``text/plain``: see its threat model in ``reader/api.py``), how big a body may be, and
whether it must be an object; the answers to a wrong body are the same everywhere: 415
``unsupported_media_type``, 413 ``payload_too_large``, 400 ``bad_request``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask import g, request
from werkzeug.exceptions import HTTPException

from .errors import ApiError
from .validation import bad_request

JSON_ONLY = ("application/json",)


def _parse(types: Sequence[str], max_bytes: int | None, want_object: bool) -> Any:
    if request.mimetype not in types:
        also = " (the same JSON)" if len(types) > 1 else ""
        raise ApiError(
            415, "unsupported_media_type", f"send the body as {' or '.join(types)}{also}"
        )
    if max_bytes is not None:
        # One byte over the bound tells a chunked body (no Content-Length) that is too long
        # from one that fits: werkzeug stops reading a stream at the bound without a 413.
        request.max_content_length = max_bytes + 1
    raw = request.get_data()
    if max_bytes is not None and len(raw) > max_bytes:
        raise ApiError(413, "payload_too_large", f"the body is at most {max_bytes} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
        raise bad_request("the body is not valid JSON") from None
    if want_object and not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


def json_body(
    types: Sequence[str] = JSON_ONLY, max_bytes: int | None = None, *, want_object: bool = False
) -> Any:
    """Return the request's JSON body, or raise its 415, 413 or 400, parsing it once.

    A rate limit's key and the view may both need it; a refused body keeps its error,
    because a second read of a stream cut off at ``max_bytes`` would not see the same bytes.
    """
    if "json_body" not in g:
        try:
            g.json_body = _parse(types, max_bytes, want_object)
        except HTTPException as exc:
            g.json_body = exc
    body: Any = g.json_body
    if isinstance(body, HTTPException):
        raise body
    return body
