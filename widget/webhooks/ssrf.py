"""Receivers are not a way into the network: a webhook's URL must reach the public internet.

A URL is checked when the webhook is made (400 ``bad_request``) and again before every
attempt, because a name may resolve elsewhere later. The check resolves the host and
refuses it when any of its addresses is loopback, private, link-local, unspecified,
multicast or reserved (an IPv4 address inside IPv6, ``::ffff:10.0.0.1``, 6to4 or
Teredo, is judged as the IPv4 address it holds); the attempt then connects to the address
that was checked (``sender.py``), so a name that answers differently a moment later (DNS
rebinding) cannot slip between the check and the connection. ``WEBHOOK_ALLOW_PRIVATE=1``
lifts the rule (a service and its receivers on one private network; the tests' loopback
receiver).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_CHARS = 2000


class UnsafeURL(ValueError):
    """The URL is malformed, does not resolve, or reaches a network that is refused."""


@dataclass(frozen=True)
class Target:
    """Where an attempt connects: the URL's parts and the address that was checked."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def parse(url: str) -> tuple[str, str, int, str]:
    """Return a webhook URL's scheme, host, port and path with query; raise UnsafeURL."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        raise UnsafeURL(f"url must be an http(s) URL of at most {MAX_URL_CHARS} characters")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise UnsafeURL("url must not hold spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("url is not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeURL("url must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("url must not hold a user name or password")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def refused_network(address: str) -> str | None:
    """Return why an IP address is refused (its kind of network), or None for a public one."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address carried inside IPv6
        ip = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None) or ip
    for kind in ("loopback", "private", "link_local", "unspecified", "multicast", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:  # shared address space (100.64/10), documentation ranges...
        return "non-public"
    return None


def resolve(url: str, allow_private: bool) -> Target:
    """Return where to send to ``url``, its address checked; raise UnsafeURL."""
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(f"url's host {host!r} does not resolve") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeURL(f"url's host {host!r} does not resolve")
    if not allow_private:
        for address in addresses:
            kind = refused_network(address)
            if kind:
                raise UnsafeURL(
                    f"url's host {host!r} resolves to a {kind} address ({address}), "
                    "which receivers may not use (WEBHOOK_ALLOW_PRIVATE)"
                )
    return Target(scheme, host, port, path, addresses[0])
