"""Rate limits: flask-limiter on the same Redis as the data, keyed by hashed addresses.

Which limits (each an environment variable, ``config.py``):

* ``RATELIMIT_READ``: counts reads (and preflights) per client address;
* ``RATELIMIT_WRITE``: reaction posts per client address;
* ``RATELIMIT_WRITE_ARTICLE``: reaction posts per client address and article;
* ``RATELIMIT_PUBLISHER``: publisher API requests per site API key (requests without the
  site's key are counted per address instead, so guessing keys is limited too).

The ballot-stuffing cap (``READERS_PER_ADDRESS_PER_ARTICLE``) is not here: it has to be
checked in the same atomic step as the write (``store.set_reaction``).

Design choices, said once here:

* Keys are ``privacy.address_hash`` values, never addresses: Redis holds no raw IP. The
  hash is computed once per request (``privacy.client_hash``), not once per limit.
* The fixed-window strategy costs one round trip (INCR and EXPIRE in one script) per limit.
  Its price is that a client may spend up to twice a limit across a window boundary.
* ``X-RateLimit-*`` headers and ``Retry-After`` are sent on the 429 answer only: putting
  them on every answer costs two more Redis round trips per limit on the hot paths.
* When Redis does not answer, the limit check raises the same storage error that the
  endpoint itself would meet a moment later, so the answer is the same 503
  ``storage_unavailable`` after one timeout instead of two. Every limited endpoint needs
  Redis for its data, so nothing that could have been served is turned away.
* Health, readiness, metrics, the OpenAPI document and static files carry no limit: only
  the reader and publisher blueprints do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, cast

from flask import Blueprint, Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded

from .errors import error_response
from .privacy import client_hash
from .store import STORAGE_ERRORS, article_hash, retry_policy
from .store.keys import RATE_LIMIT_PREFIX

LIMITER = "reactions.limiter"
# The reader API reads at most this much of a POST body (reader_api.MAX_BODY_BYTES).
MAX_KEYED_BODY = 4096


def storage_uri(redis_url: str, cluster: bool) -> str:
    """Return the limits storage URI for the service's Redis (``redis+cluster://`` for one)."""
    if not cluster:
        return redis_url
    scheme, sep, rest = redis_url.partition("://")
    if not sep:
        return redis_url
    # limits' cluster URI has no database number: a cluster has only database 0.
    return f"redis+cluster://{rest.split('/', 1)[0]}" if scheme == "redis" else redis_url


def address_key() -> str:
    """Return the rate-limit key of the client: its address's keyed hash of the day."""
    return "a:" + client_hash()


def _posted_article() -> str | None:
    # Only a body the reader API would accept is read here, with the same size bound, so
    # reading it first changes nothing for the view (which reuses the cached bytes).
    if request.mimetype not in {"application/json", "text/plain"}:
        return None
    length = request.content_length
    if length is None or length > MAX_KEYED_BODY:
        return None
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        return None
    article = body.get("article") if isinstance(body, dict) else None
    return article if isinstance(article, str) and article else None


def address_article_key() -> str:
    """Return the rate-limit key of the client and the article its POST names."""
    article = _posted_article()
    # A body with no usable article is refused by the view; it still costs the client.
    suffix = article_hash(article) if article is not None else "-"
    return f"{address_key()}|{suffix}"


def publisher_key() -> str:
    """Return the rate-limit key of a publisher request: the site's key, else the address."""
    from .auth import bearer_key
    from .context import get_sites

    site_id = (request.view_args or {}).get("site_id")
    api_key = bearer_key()
    if site_id and api_key:
        site = get_sites().get(str(site_id))
        if site is not None and site.check_key(api_key):
            return f"k:{site.id}"
    return address_key()


def apply_reader_limits(limiter: Limiter, bp: Blueprint, config: dict[str, Any]) -> None:
    """Limit the reader API: reads per address, writes per address and per address+article."""
    limiter.limit(config["RATELIMIT_READ"], methods=["GET", "OPTIONS"])(bp)
    limiter.limit(config["RATELIMIT_WRITE"], methods=["POST"])(bp)
    limiter.limit(
        config["RATELIMIT_WRITE_ARTICLE"], methods=["POST"], key_func=address_article_key
    )(bp)


def apply_publisher_limits(limiter: Limiter, bp: Blueprint, config: dict[str, Any]) -> None:
    """Limit the publisher API per site key: one budget shared by all of its endpoints."""
    limiter.shared_limit(config["RATELIMIT_PUBLISHER"], scope="publisher", key_func=publisher_key)(
        bp
    )


def _limited(limiter: Limiter, exc: RateLimitExceeded) -> Response:
    """Return the 429 answer, with Retry-After and X-RateLimit-* of the limit that was hit."""
    limit = limiter.current_limit
    amount = exc.limit.limit.amount
    try:
        reset_at, remaining = (limit.reset_at, limit.remaining) if limit else (0, 0)
    except STORAGE_ERRORS:  # Redis went away since the hit: fall back to the window length
        reset_at, remaining = 0, 0
    now = time.time()
    if reset_at <= now:
        reset_at = int(now) + exc.limit.limit.get_expiry()
    headers = {
        "Retry-After": max(1, int(reset_at - now)),
        "X-RateLimit-Limit": amount,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": int(reset_at),
    }
    return error_response(
        429, "rate_limited", f"too many requests: at most {exc.description}", headers
    )


def init_app(app: Flask) -> Limiter | None:
    """Make the app's one Limiter on the service's Redis, or none when limits are off."""
    config = app.config
    if not config["RATELIMIT_ENABLED"]:
        return None
    timeout = config["REDIS_SOCKET_TIMEOUT"]
    limiter = Limiter(
        address_key,
        app=app,
        storage_uri=storage_uri(config["REDIS_URL"], config["REDIS_CLUSTER"]),
        # The same fail-fast settings as the store's client (store.connect).
        storage_options=cast(
            dict[str, str | int],
            {
                "key_prefix": RATE_LIMIT_PREFIX,
                "socket_timeout": timeout,
                "socket_connect_timeout": timeout,
                "retry": retry_policy(),
            },
        ),
        strategy="fixed-window",
        headers_enabled=False,
        swallow_errors=False,
    )
    app.errorhandler(RateLimitExceeded)(lambda exc: _limited(limiter, exc))
    app.extensions[LIMITER] = limiter
    return limiter


def limit_blueprints(app: Flask, limiter: Limiter | None) -> None:
    """Put the limits on the reader and publisher blueprints of the app."""
    if limiter is None:
        return
    from . import publisher_api, reader_api

    apply_reader_limits(limiter, reader_api.bp, app.config)
    apply_publisher_limits(limiter, publisher_api.bp, app.config)
    # Keys are 256 random bits, so this is not about guessing: each attempt costs a site
    # lookup, and a flood of them should cost the flooder, not Redis.
    # flask-limiter checks a view's own limit in the wrapper its decorator returns, so the
    # registered view is replaced by that wrapper.
    sign_in = "dashboard.do_sign_in"
    view: Callable[..., Any] = app.view_functions[sign_in]
    limit = limiter.limit(app.config["RATELIMIT_SIGNIN"], methods=["POST"])
    app.view_functions[sign_in] = limit(view)
