"""Every setting of the service: its environment variable, type, default and meaning.

The README's configuration table is checked against ``SETTINGS`` by the tests, so a
setting cannot be added here without being documented there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_limiter.constants import ConfigVars


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected 0 or 1, got {raw!r}")


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"expected a whole number >= 0, got {raw!r}")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a whole number > 0, got {raw!r}")
    return value


def _seconds_list(raw: str) -> str:
    waits = [part.strip() for part in raw.split(",")]
    try:
        good = bool(waits) and all(0 < float(wait) <= 7 * 86400 for wait in waits)
    except ValueError:
        good = False
    if not good:
        raise ValueError(f"expected seconds (> 0, at most a week) separated by commas, got {raw!r}")
    return ",".join(waits)


@dataclass(frozen=True)
class Setting:
    """One environment variable the service reads."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    doc: str


# The name of each setting, said once: other modules read ``app.config[config.REDIS_URL]``.
REDIS_URL = "REDIS_URL"
REDIS_CLUSTER = "REDIS_CLUSTER"
REDIS_SOCKET_TIMEOUT = "REDIS_SOCKET_TIMEOUT"
SECRET_KEY = "SECRET_KEY"
SESSION_COOKIE_SECURE = "SESSION_COOKIE_SECURE"
PERMANENT_SESSION_LIFETIME = "PERMANENT_SESSION_LIFETIME"
TRUSTED_PROXIES = "TRUSTED_PROXIES"
SITE_CACHE_SECONDS = "SITE_CACHE_SECONDS"
COUNTS_MAX_AGE = "COUNTS_MAX_AGE"
COUNTS_STALE_WHILE_REVALIDATE = "COUNTS_STALE_WHILE_REVALIDATE"
RATELIMIT_ENABLED = ConfigVars.ENABLED  # flask-limiter reads this one itself
RATELIMIT_READ = "RATELIMIT_READ"
RATELIMIT_WRITE = "RATELIMIT_WRITE"
RATELIMIT_WRITE_ARTICLE = "RATELIMIT_WRITE_ARTICLE"
RATELIMIT_PUBLISHER = "RATELIMIT_PUBLISHER"
RATELIMIT_SIGNIN = "RATELIMIT_SIGNIN"
RATELIMIT_READYZ = "RATELIMIT_READYZ"
METRICS_TOKEN = "METRICS_TOKEN"
READERS_PER_ADDRESS_PER_ARTICLE = "READERS_PER_ADDRESS_PER_ARTICLE"
MAX_ARTICLES_PER_SITE = "MAX_ARTICLES_PER_SITE"
NEW_ARTICLES_PER_ADDRESS_PER_DAY = "NEW_ARTICLES_PER_ADDRESS_PER_DAY"
LOG_FORMAT = "LOG_FORMAT"
WEBHOOK_RETRY_SCHEDULE = "WEBHOOK_RETRY_SCHEDULE"
WEBHOOK_ALLOW_PRIVATE = "WEBHOOK_ALLOW_PRIVATE"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        REDIS_URL,
        "redis://127.0.0.1:6379/0",
        str,
        "Where the data lives (`redis://`, `rediss://` or `unix://`). The run command starts "
        "its own Redis when this is unset.",
    ),
    Setting(
        REDIS_CLUSTER,
        False,
        _bool,
        "`1`: `REDIS_URL` names one node of a Redis Cluster and the whole cluster is used.",
    ),
    Setting(
        REDIS_SOCKET_TIMEOUT,
        0.5,
        _positive_float,
        "Seconds to wait for Redis on connect and on each command before answering 503.",
    ),
    Setting(
        SECRET_KEY,
        None,
        str,
        "Signs dashboard sessions and keys the hashes of client addresses. Required in "
        "production (gunicorn refuses to start without it); the run command makes one.",
    ),
    Setting(
        SESSION_COOKIE_SECURE,
        True,
        _bool,
        "`1`: the dashboard's session cookie is sent over https only. The run command, "
        "which serves plain http on this machine, sets `0`.",
    ),
    Setting(
        PERMANENT_SESSION_LIFETIME,
        12 * 3600,
        _positive_int,
        "Seconds a dashboard session lasts from sign-in, however busy; then sign in again.",
    ),
    Setting(
        TRUSTED_PROXIES,
        0,
        _non_negative_int,
        "How many proxies in front of the service may set `X-Forwarded-For`.",
    ),
    Setting(
        SITE_CACHE_SECONDS,
        5.0,
        float,
        "How long a worker keeps a site's settings (origins, key digest, reactions) before "
        "reading them again: CLI changes take effect within this time. `0` disables the cache.",
    ),
    Setting(
        COUNTS_MAX_AGE,
        10,
        _non_negative_int,
        "`max-age` (seconds) of the public counts answer for browsers and CDNs.",
    ),
    Setting(
        COUNTS_STALE_WHILE_REVALIDATE,
        60,
        _non_negative_int,
        "`stale-while-revalidate` (seconds) of the public counts answer.",
    ),
    Setting(
        RATELIMIT_ENABLED,
        True,
        _bool,
        "`0` turns every rate limit off (for benchmarks of the bare service).",
    ),
    Setting(
        RATELIMIT_READ,
        "600/minute",
        str,
        "Counts reads per client address (flask-limiter syntax, `;` between several).",
    ),
    Setting(
        RATELIMIT_WRITE,
        "120/minute",
        str,
        "Reaction posts per client address.",
    ),
    Setting(
        RATELIMIT_WRITE_ARTICLE,
        "20/minute",
        str,
        "Reaction posts per client address and article.",
    ),
    Setting(
        RATELIMIT_PUBLISHER,
        "1200/minute",
        str,
        "Publisher API requests per API key.",
    ),
    Setting(
        RATELIMIT_SIGNIN,
        "10/minute",
        str,
        "Dashboard sign-in attempts per client address.",
    ),
    Setting(
        RATELIMIT_READYZ,
        "120/minute",
        str,
        "`/readyz` probes per client address (each one writes to Redis and asks its INFO); "
        "a load balancer probing every second stays well inside.",
    ),
    Setting(
        READERS_PER_ADDRESS_PER_ARTICLE,
        50,
        _non_negative_int,
        "New reactions one client address may add to one article per UTC day (the "
        "ballot-stuffing cap; an office behind one NAT shares it; an IPv6 /48 shares 8 "
        "times it). `0`: no cap.",
    ),
    Setting(
        MAX_ARTICLES_PER_SITE,
        100_000,
        _non_negative_int,
        "The most articles one site may hold; a reaction that would start one more is "
        "refused (403 `article_limit`). `0`: no ceiling. Made-up articles take up to "
        "8,000 bytes each, so the default (800 MB at most) fits the shipped "
        "`REDIS_MAXMEMORY=1gb`; raise both together.",
    ),
    Setting(
        NEW_ARTICLES_PER_ADDRESS_PER_DAY,
        50,
        _non_negative_int,
        "New articles (first reactions) one client address may start on one site per UTC "
        "day (429 `new_article_budget`); an IPv6 /48 shares 8 times it. Applies with rate "
        "limits on. `0`: no budget.",
    ),
    Setting(
        METRICS_TOKEN,
        None,
        str,
        "When set, `/metrics` answers only `Authorization: Bearer <this>` (401 otherwise). "
        "Unset: `/metrics` is public, so keep it off the internet.",
    ),
    Setting(
        LOG_FORMAT,
        "text",
        str,
        "`text` or `json`: the format of the per-request log line.",
    ),
    Setting(
        WEBHOOK_RETRY_SCHEDULE,
        "10,60,300,1800,7200,43200",
        _seconds_list,
        "Seconds the webhooks' worker waits before each retry of a failed delivery (each "
        "give or take 10%); after the last, the delivery is `failed`. The default tries 7 "
        "times over about 14 hours.",
    ),
    Setting(
        WEBHOOK_ALLOW_PRIVATE,
        False,
        _bool,
        "`1`: webhook URLs may reach loopback, private and link-local addresses (receivers "
        "on the service's own network). Off, such a URL is refused when made and when sent.",
    ),
)

DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


def from_environ(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting from the environment, with its default when unset."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        if raw is None:
            config[setting.name] = setting.default
            continue
        try:
            config[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise RuntimeError(f"bad value for {setting.name}: {exc}") from None
    return config


def static_dir() -> Path:
    """Return the folder embed.js is served from: in the wheel, else the checkout's."""
    packaged = Path(__file__).parent / "static"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "static"
