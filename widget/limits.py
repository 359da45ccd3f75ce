"""Rate limits: the one flask-limiter ``Limiter``, on the data's Redis, keyed by hashed addresses.

Each limit is declared where it applies, beside the view or blueprint it guards, with its
value read from the config at request time (each an environment variable, ``config.py``):

* ``RATELIMIT_READ``: counts reads (and preflights) per client address (``reader/api.py``);
* ``RATELIMIT_WRITE``: reaction posts per client address (``reader/api.py``);
* ``RATELIMIT_WRITE_ARTICLE``: reaction posts per client address and article (``reader/api.py``);

  these three are not checked by flask-limiter but counted inside the requests' own Redis
  calls, with flask-limiter's windows, keys, order and 429 (``reader/limits.py``);
* ``RATELIMIT_PUBLISHER``: publisher API requests per site API key; requests without the
  site's key are counted per address instead, so guessing keys is limited too
  (``publisher/blueprint.py``);
* ``RATELIMIT_SIGNIN``: dashboard sign-in attempts per address (``dashboard/views.py``);
* ``RATELIMIT_READYZ``: ``/readyz`` probes per address (``ops/health.py``).

The ballot-stuffing cap (``READERS_PER_ADDRESS_PER_ARTICLE``) is not a limit of this
module: it has to be checked in the same atomic step as the write (``store.set_reaction``).
It applies only when rate limits are on (``address_budget``), as does the new-article budget.

Design choices, said once here:

* Keys are ``privacy.address_hash`` values, never addresses: Redis holds no raw IP. The
  hash is computed once per request (``privacy.client_hash``), not once per limit.
* The fixed-window strategy costs one round trip (INCR and EXPIRE in one script) per limit
  checked by flask-limiter, and none of its own for a limit folded into a request's call.
  Its price is that a client may spend up to twice a limit across a window boundary.
* ``X-RateLimit-*`` headers and ``Retry-After`` are sent on the 429 answer only: putting
  them on every answer costs two more Redis round trips per limit on the hot paths.
* When Redis does not answer, the limit check raises the same storage error that the
  endpoint itself would meet a moment later, so the answer is the same 503
  ``storage_unavailable`` after one timeout instead of two. Every limited endpoint needs
  Redis for its data, so nothing that could have been served is turned away.
* When Redis answers but refuses writes for want of memory (``maxmemory``, noeviction),
  reads must still be served: a window Redis cannot count is counted in the process's own
  memory instead (``SparedRedisStorage`` here, ``store/windows.py`` for the reader API),
  from what Redis held of it, so each limit still holds, per worker, until Redis has
  room again.
* Health, metrics, the OpenAPI document, the widget's strings (``i18n``) and static files
  carry no limit: none reads Redis. Readiness does (a write and an INFO), so it has one
  per address, ``RATELIMIT_READYZ`` (``ops/health.py``).
* flask-limiter keeps its storage and its on/off switch on the ``Limiter``, not per app:
  the app initialised last in a process sets them. The service makes one app per
  process; the tests make one at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from flask import Flask, Response, current_app, g
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.constants import ConfigVars
from limits.storage import MemoryStorage, RedisClusterStorage, RedisStorage
from redis.exceptions import ResponseError

from . import config
from .errors import error_response
from .privacy import client_hash
from .store import STORAGE_ERRORS, article_hash, is_out_of_memory, retry_policy
from .store.keys import RATE_LIMIT_PREFIX, address_window_id, article_window_id


def address_key() -> str:
    """Return the rate-limit key of the client: its address's keyed hash of the day."""
    # With a hash tag: all of an address's windows share a slot of a cluster, so the
    # reader API counts them in one script (reader/limits.py).
    return address_window_id(client_hash())


# The site part of a window's name when the request's site was not found: a key never
# holds a site id that a client made up (8 KB of one made 8 KB keys).
NO_SITE = "-"


def address_article_key_of(site: str, article: str | None) -> str:
    """Return the rate-limit key of the client on one article (None: no usable article).

    ``site`` names the window only when it is the id of the site the request found
    (``g.site``); the article is named by its digest. So every part is bounded.
    """
    found = g.get("site")
    site = site if found is not None and found.id == site else NO_SITE
    # With the article's hash tag: on a cluster the window lives in the article's slot,
    # and the reaction's script there counts it.
    return article_window_id(client_hash(), site, article_hash(article) if article else "-")


limiter = Limiter(
    key_func=address_key,
    strategy="fixed-window",
    headers_enabled=False,
    swallow_errors=False,
)


def configured(name: str) -> Callable[[], str]:
    """Return a limit value for ``limiter.limit``: the app's setting ``name``, read per request."""
    return lambda: str(current_app.config[name])


def address_budget(name: str) -> int:
    """Return a per-address budget setting of the app: 0 (no budget) when rate limits are off.

    The ballot-stuffing cap (READERS_PER_ADDRESS_PER_ARTICLE) and the new-article budget
    (NEW_ARTICLES_PER_ADDRESS_PER_DAY) bound an address, so they go with the limits.
    """
    settings = current_app.config
    return int(settings[name]) if settings[config.RATELIMIT_ENABLED] else 0


def address_cap() -> int:
    """Return the app's ballot-stuffing cap: 0 (no cap) when rate limits are off."""
    return address_budget(config.READERS_PER_ADDRESS_PER_ARTICLE)


# The schemes of the storages below: the service's Redis URL's, prefixed.
SPARED = "rx+"


def _count_spared(
    storage: SparedRedisStorage | SparedRedisClusterStorage,
    error: ResponseError,
    key: str,
    expiry: float,
    amount: int,
) -> int:
    """Count a hit that Redis refused for want of memory in the process's memory, or raise.

    A window this process has not counted yet starts from what Redis holds of it (reads).
    """
    if not is_out_of_memory(error):
        raise error
    if not storage.spare:  # made on first use: most processes never need one
        storage.spare.append(MemoryStorage())
    spare, name = storage.spare[0], storage.prefixed_key(key)
    if not spare.get(name):
        held, left = storage.get(key), storage.get_expiry(key) - time.time()
        if held and left > 0:
            expiry, amount = left, amount + held
    return spare.incr(name, expiry, amount)


class _Spared:
    """What both spared storages add to limits' own: a window counted in memory while
    Redis has no memory for it (``_count_spared``)."""

    def __init__(self, uri: str, **options: Any) -> None:
        super().__init__(uri.removeprefix(SPARED), **options)  # type: ignore[call-arg]
        self.spare: list[MemoryStorage] = []

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count a hit in Redis, or in memory when Redis has none for it."""
        try:
            return int(super().incr(key, expiry, amount))  # type: ignore[misc]
        except ResponseError as exc:
            spared = cast("SparedRedisStorage | SparedRedisClusterStorage", self)
            return _count_spared(spared, exc, key, expiry, amount)


class SparedRedisStorage(_Spared, RedisStorage):
    """limits' Redis storage, counting a window in memory while Redis is out of memory."""

    STORAGE_SCHEME = [f"{SPARED}{s}" for s in ("redis", "rediss", "redis+unix")]  # noqa: RUF012


class SparedRedisClusterStorage(_Spared, RedisClusterStorage):
    """limits' Redis Cluster storage, counting a window in memory while a node is full."""

    STORAGE_SCHEME = [f"{SPARED}redis+cluster"]  # noqa: RUF012 (limits' own type)


def storage_uri(redis_url: str, cluster: bool) -> str:
    """Return the limits storage URI for the service's Redis (one of the spared storages)."""
    scheme, sep, rest = redis_url.partition("://")
    if not sep:
        return redis_url
    if cluster and scheme == "redis":
        # limits' cluster URI has no database number: a cluster has only database 0.
        return f"{SPARED}redis+cluster://{rest.split('/', 1)[0]}"
    if not cluster and scheme == "unix":  # limits names redis-py's unix:// "redis+unix://"
        return f"{SPARED}redis+unix://{rest}"
    if not cluster and f"{SPARED}{scheme}" in SparedRedisStorage.STORAGE_SCHEME:
        return f"{SPARED}{redis_url}"
    return redis_url


def too_many(limit: str, amount: int, remaining: int, reset_at: float, length: int) -> Response:
    """Return the 429 answer of a limit, with Retry-After and X-RateLimit-*.

    ``reset_at`` is when the window ends (0 or past when unknown: then ``length`` from now).
    """
    now = time.time()
    if reset_at <= now:
        reset_at = int(now) + length
    headers = {
        "Retry-After": max(1, int(reset_at - now)),
        "X-RateLimit-Limit": amount,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": int(reset_at),
    }
    return error_response(429, "rate_limited", f"too many requests: at most {limit}", headers)


def _limited(exc: RateLimitExceeded) -> Response:
    """Return the 429 answer of a flask-limiter limit that was hit."""
    limit = limiter.current_limit
    try:
        reset_at, remaining = (limit.reset_at, limit.remaining) if limit else (0, 0)
    except STORAGE_ERRORS:  # Redis went away since the hit: fall back to the window length
        reset_at, remaining = 0, 0
    item = exc.limit.limit
    return too_many(
        exc.description or str(item), item.amount, remaining, reset_at, item.get_expiry()
    )


def init_app(app: Flask, skip: Callable[[], bool] = lambda: False) -> None:
    """Put the limiter on the app, storing its windows in the service's Redis.

    Its request hooks leave alone a request for which ``skip`` is true (the reader API,
    whose limits are counted in its own Redis calls).
    """
    settings = app.config
    timeout = settings[config.REDIS_SOCKET_TIMEOUT]
    # Set, not defaulted: they follow REDIS_URL and REDIS_SOCKET_TIMEOUT, the only knobs.
    settings[ConfigVars.STORAGE_URI] = storage_uri(
        settings[config.REDIS_URL], settings[config.REDIS_CLUSTER]
    )
    # The same fail-fast settings as the store's client (store.connect).
    settings[ConfigVars.STORAGE_OPTIONS] = {
        "key_prefix": RATE_LIMIT_PREFIX,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": retry_policy(),
    }
    # With RATELIMIT_ENABLED=0 flask-limiter adds no hook and every limit is skipped.
    limiter.init_app(cast(Flask, _HooksUnless(app, skip)))
    app.register_error_handler(RateLimitExceeded, _limited)


class _HooksUnless:
    """The app as flask-limiter's ``init_app`` sees it: the request hooks it adds skip some.

    flask-limiter hooks every request of the app through Flask's public ``before_request``,
    ``after_request`` and ``teardown_request``; here each hook it adds first asks ``skip``,
    and a request it skips goes by untouched (an after-request hook hands the response on).
    Everything else is the app's own. Behind flask-limiter's documented ``request_filter``
    the same skip still ran its hooks, at 10-15% of a reader request's CPU
    (docs/benchmark.md, "Keeping flask-limiter off the reader API"). Should a later
    flask-limiter add its hooks another way, they run unskipped: slower, never wrong.
    """

    def __init__(self, app: Flask, skip: Callable[[], bool]) -> None:
        self._app, self._skip = app, skip

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def before_request(self, hook: Callable[[], Any]) -> Any:
        """Add flask-limiter's check, skipped where ``skip`` says."""
        return self._app.before_request(lambda: None if self._skip() else hook())

    def after_request(self, hook: Callable[[Response], Response]) -> Any:
        """Add flask-limiter's headers, skipped where ``skip`` says."""
        return self._app.after_request(lambda r: r if self._skip() else hook(r))

    def teardown_request(self, hook: Callable[[BaseException | None], None]) -> Any:
        """Add flask-limiter's clean-up, skipped where ``skip`` says."""
        return self._app.teardown_request(lambda e: None if self._skip() else hook(e))
