"""What the service remembers of a client address: a keyed hash whose salt changes daily.

A raw address never reaches Redis. Rate limits and the ballot-stuffing cap key on
``address_hash(addr)``: HMAC-SHA256 keyed with the day's salt, itself HMAC-SHA256 of
``SECRET_KEY`` and ``"salt:<yyyymmdd>"`` (UTC). Nothing extra is stored to rotate it, and
once a day is over its hashes cannot be tied to the next day's: the same address gets an
unrelated hash each day. Without ``SECRET_KEY`` nobody can test a guessed address (the
IPv4 space is small enough to try every address against an unkeyed hash).

An IPv6 client is hashed by its /64 network: a single host is usually given a whole /64
and may pick any address in it, so per-address limits on full IPv6 addresses would not
hold anyone back. A network is handed out whole too (a tunnel broker gives a /48 for
free: 65,536 /64s), so the lasting budgets (the new articles a day, the ballot-stuffing
cap) also count the /48 around the /64 (``network_hash``), which shares at most
``NETWORK_SHARE`` times a /64's budget.
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
IPV6_NETWORK_PREFIX = 48
# How many /64s' worth of a per-address budget one /48 shares: a home or an office given a
# /48 or a /56 gets eight clients' worth; a tunnel broker's free /48 no more than that.
NETWORK_SHARE = 8
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


def wider_network(address: str) -> str | None:
    """Return the IPv6 /48 around a client's /64, or None for IPv4 (and the unreadable)."""
    ip = _parse_address(address)
    if not isinstance(ip, ipaddress.IPv6Address) or ip.ipv4_mapped is not None:
        return None
    return str(ipaddress.IPv6Network((ip, IPV6_NETWORK_PREFIX), strict=False))


def _keyed(network: str, secret: str, now: float | None) -> str:
    salt = day_salt(secret, day_of(time.time() if now is None else now))
    digest = hmac.new(salt, network.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def address_hash(address: str, secret: str, now: float | None = None) -> str:
    """Return the day's keyed hash of a client address: 128 bits, URL-safe base64."""
    return _keyed(client_network(address), secret, now)


def network_hash(address: str, secret: str, now: float | None = None) -> str | None:
    """Return the day's keyed hash of an IPv6 client's /48, or None for an IPv4 client."""
    # "2001:db8:1::/48" is never a /64's name, so the two hashes never collide.
    network = wider_network(address)
    return None if network is None else _keyed(network, secret, now)


def client_hash() -> str:
    """Return the current request's client address hash, computed once per request."""
    # A POST needs it three times (two rate limits and the ballot-stuffing cap); each
    # HMAC and address parse costs about as much as a tenth of a Redis round trip.
    cached: str | None = g.get("client_hash")
    if cached is None:
        address = request.remote_addr or "unknown"
        cached = g.client_hash = address_hash(address, current_app.config[config.SECRET_KEY])
    return cached


def client_network_hash() -> str | None:
    """Return the current request's IPv6 /48 hash (None for IPv4), computed once per request."""
    if "network_hash" not in g:
        address = request.remote_addr or "unknown"
        g.network_hash = network_hash(address, current_app.config[config.SECRET_KEY])
    cached: str | None = g.network_hash
    return cached


__all__ = [
    "NETWORK_SHARE",
    "address_hash",
    "client_hash",
    "client_network",
    "client_network_hash",
    "day_salt",
    "network_hash",
    "wider_network",
]
