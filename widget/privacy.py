"""What the service remembers of a client address: a keyed hash whose salt changes daily.

A raw address never reaches Redis. Rate limits and the ballot-stuffing cap key on
``address_hash(addr)``: HMAC-SHA256 keyed with the day's salt, itself HMAC-SHA256 of
``SECRET_KEY`` and ``"salt:<yyyymmdd>"`` (UTC). Nothing extra is stored to rotate it, and
once a day is over its hashes cannot be tied to the next day's: the same address gets an
unrelated hash each day. Without ``SECRET_KEY`` nobody can test a guessed address (the
IPv4 space is small enough to try every address against an unkeyed hash).

An IPv6 client is hashed by its /64 network: a single host is usually given a whole /64
and may pick any address in it, so per-address limits on full IPv6 addresses would not
hold anyone back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import time
from functools import lru_cache

from flask import current_app, g, request

from . import config
from .store import day_of


@lru_cache(maxsize=8)
def day_salt(secret: str, day: str) -> bytes:
    """Return the salt of one UTC day (yyyymmdd), derived from the secret key."""
    return hmac.new(secret.encode(), f"salt:{day}".encode(), hashlib.sha256).digest()


IPV6_CLIENT_PREFIX = 64
# Every address that cannot be read shares this one bucket: a made-up string in
# X-Forwarded-For must not buy its sender a fresh budget per string.
UNREADABLE = "unreadable"
UNREADABLE_WARNING_SECONDS = 60.0
log = logging.getLogger(__name__)
_last_warning = [float("-inf"), 0]  # when the last warning was logged; requests since


def _parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the address of ``a.b.c.d``, ``a.b.c.d:port``, ``v6``, ``[v6]`` or ``[v6]:port``."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return None
        text = host
    elif text.count(":") == 1:  # IPv4 with a port (an IPv6 address has at least two)
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _warn_unreadable(address: str) -> None:
    """Log that an address was unreadable, at most once a minute per process."""
    now = time.monotonic()
    _last_warning[1] += 1
    if now - _last_warning[0] >= UNREADABLE_WARNING_SECONDS:
        log.warning(
            "client address %r is not an IP address (%d such requests since the last "
            "warning): they share one rate-limit bucket; check TRUSTED_PROXIES and what "
            "the proxy puts in X-Forwarded-For",
            address[:100],
            _last_warning[1],
        )
        _last_warning[:] = [now, 0]


def client_network(address: str) -> str:
    """Return what counts as one client: an IPv4 address, or an IPv6 address's /64."""
    ip = _parse_address(address)
    if ip is None:
        _warn_unreadable(address)
        return UNREADABLE
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


def address_hash(address: str, secret: str, now: float | None = None) -> str:
    """Return the day's keyed hash of a client address: 128 bits, URL-safe base64."""
    salt = day_salt(secret, day_of(time.time() if now is None else now))
    client = client_network(address).encode()
    digest = hmac.new(salt, client, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def client_hash() -> str:
    """Return the current request's client address hash, computed once per request."""
    # A POST needs it three times (two rate limits and the ballot-stuffing cap); each
    # HMAC and address parse costs about as much as a tenth of a Redis round trip.
    cached: str | None = g.get("client_hash")
    if cached is None:
        address = request.remote_addr or "unknown"
        cached = g.client_hash = address_hash(address, current_app.config[config.SECRET_KEY])
    return cached


__all__ = ["address_hash", "client_hash", "client_network", "day_salt"]
