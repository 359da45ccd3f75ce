"""Allowed origins, kept in the form browsers send in ``Origin``.

``scheme://host[:port]``: lowercase, the default port dropped, an IPv6 literal in
brackets, and an international domain name in punycode (``xn--``), so a stored origin
matches the header byte for byte.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .ids import SiteError

# The characters that IDNA 2003 (Python's "idna" codec) maps differently from the UTS 46
# processing of today's browsers ("straße" is "strasse" to the codec, "xn--strae-oqa" to
# a browser). Rather than store an origin no browser sends, such a name is refused.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


def _ascii_host(host: str, origin: str) -> str:
    """Return an international domain name as browsers send it in ``Origin`` (punycode)."""
    if _IDNA_DEVIATIONS.intersection(host):
        raise SiteError(
            f"{origin!r}: write this domain name in the xn-- form your browser shows for it"
        )
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise SiteError(f"{origin!r} is not a valid international domain name") from None


def normalize_origin(origin: str) -> str:
    """Return ``scheme://host[:port]`` for an http(s) origin, else raise SiteError."""
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise SiteError(
            f"{origin!r} is not an origin: use scheme://host[:port], such as https://example.com"
        )
    try:
        port = parts.port
    except ValueError:
        raise SiteError(f"{origin!r} has a bad port") from None
    host = parts.hostname
    if ":" in host:  # an IPv6 literal keeps its brackets in an origin
        host = f"[{host}]"
    elif not host.isascii():
        host = _ascii_host(host, origin)
    default_port = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"
