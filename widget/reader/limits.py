"""The reader API's rate limits, counted inside the requests' own Redis calls.

flask-limiter checks each limit with a Redis call of its own before the view runs: on the
reader API's hot paths that was half of their round trips. A limit declared
with ``fold`` keeps flask-limiter's documented meaning: its setting (``RATELIMIT_*``,
parsed by the ``limits`` library) and the ``RATELIMIT_ENABLED`` switch; the same fixed
windows under the same keys (``limits``' ``key_for`` of the key function and the endpoint,
under ``rx:rl``, as flask-limiter names them), counted in flask-limiter's order and up to
the first one over; the same 429 with ``Retry-After`` and ``X-RateLimit-*``
(``limits.too_many``). Only where they are counted changes: the view hands ``windows()``
to the store, which counts them in the call that reads or writes (``store/windows.py``).

A request that ends before its view reaches Redis (a 400, 403, 404...) counts its windows
after the view, in one call, and is answered 429 instead when one is over: as with
flask-limiter, every request spends its windows, and an over-limit one learns nothing more.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, request
from limits import RateLimitItem, parse_many

from .. import config
from ..context import get_store
from ..errors import storage_unavailable
from ..limits import too_many
from ..store import STORAGE_ERRORS, Window, WindowLimited
from ..store.keys import window_key


@dataclass(frozen=True)
class Folded:
    """A limit that a blueprint's views count in their own Redis calls."""

    setting: str  # the config name of its value: "120/minute", several joined by ";"
    methods: frozenset[str]
    key_func: Callable[[], str]  # who it counts, as flask-limiter's key_func


_FOLDED: dict[str, tuple[Folded, ...]] = {}


@functools.lru_cache(maxsize=64)
def _parsed(value: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(value))


def fold(bp: Blueprint, *limits: Folded) -> None:
    """Declare the limits of a blueprint's views that they count in their own calls."""
    _FOLDED[bp.name] = limits
    bp.after_request(_count_if_not_counted)
    bp.register_error_handler(WindowLimited, limited_response)


def is_folded() -> bool:
    """Say whether the current request's limits are counted in its own calls (above).

    flask-limiter's request hooks skip such a request (``limits.init_app``): they would find
    no limit of theirs to check there, and finding that out cost a tenth of its CPU.
    """
    return request.blueprint in _FOLDED


def windows() -> list[Window]:
    """Return the windows the current request spends (once: the caller counts them)."""
    g.windows_counted = True
    settings = current_app.config
    if not settings[config.RATELIMIT_ENABLED] or request.blueprint is None:
        return []
    method, endpoint = request.method, request.endpoint
    items = [
        (item, limit)
        for limit in _FOLDED.get(request.blueprint, ())
        if method in limit.methods
        for item in _parsed(str(settings[limit.setting]))
    ]
    # The order of flask-limiter: sorted by granularity, declaration order kept otherwise.
    items.sort(key=lambda pair: pair[0])
    return [
        Window(
            key=window_key(item.key_for(limit.key_func(), endpoint or "")),
            amount=item.amount,
            seconds=item.get_expiry(),
            limit=str(item),
        )
        for item, limit in items
    ]


def limited_response(exc: WindowLimited) -> Response:
    """Return the 429 of a window over its amount, as flask-limiter answers it."""
    window = exc.window
    # As limits' get_window_stats and flask-limiter's reset_at: the TTL from now, plus one.
    reset_at = max(exc.ttl, 0) + time.time() + 1
    return too_many(
        window.limit, window.amount, max(0, window.amount - exc.count), reset_at, window.seconds
    )


def _count_if_not_counted(response: Response) -> Response:
    # A request that ended before its view reached Redis counts its windows now. Not
    # after a 503: Redis did not answer the view, and the answer says so already.
    if g.get("windows_counted") or response.status_code == 503:
        return response
    spent = windows()
    if not spent:
        return response
    try:
        get_store().windows.hit(spent)  # in memory while Redis is full (store/windows.py)
    except WindowLimited as exc:
        return limited_response(exc)
    except STORAGE_ERRORS:
        return storage_unavailable()
    return response
