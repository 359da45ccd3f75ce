"""One attempt to deliver: an HTTP POST to the address that ``ssrf.resolve`` checked.

Built on the standard library's ``http.client``, not ``requests`` or ``urllib``: both of
those resolve the host again when they connect, which would reopen the gap between the
check and the connection that DNS rebinding uses, and both follow redirects unless told
not to. ``http.client`` connects where it is told (here: the checked IP, with the URL's
name as ``Host`` and, over https, as the TLS server name that the certificate must match)
and never follows a redirect: a 3xx is a failed attempt, as the specification says.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass

from .ssrf import Target

TIMEOUT_SECONDS = 5.0
USER_AGENT = "reactions-webhooks/1"
MAX_ERROR_CHARS = 200


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: delivered (any 2xx), the status, or the error."""

    delivered: bool
    status: int | None
    error: str | None
    retry_after: int | None = None  # seconds the receiver asked for (429, 503)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An https connection to a given address, verifying the certificate for the host."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        sock = socket.create_connection((self.target.address, self.port), self.timeout)
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(sock, server_hostname=self.target.host)


class _PinnedHTTP(http.client.HTTPConnection):
    """A plain http connection to a given address."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self) -> None:
        self.sock = socket.create_connection((self.target.address, self.port), self.timeout)


def post(
    target: Target, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS
) -> Outcome:
    """POST ``body`` to the target with ``headers``, all within ``timeout`` seconds; never
    raise for the network's sake."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target, timeout)
    sent = {
        **headers,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Connection": "close",
    }
    # The socket's timeout bounds each wait; this bounds the whole attempt, so a receiver
    # that answers a byte every few seconds cannot hold a thread (and outlive its claim).
    deadline = threading.Timer(timeout, _cut, (connection,))
    deadline.start()
    try:
        # Host is the URL's (http.client writes it from the host given, with the port).
        connection.request("POST", target.path, body=body, headers=sent)
        response = connection.getresponse()
        response.read(64 * 1024)  # a bounded read: the answer's body means nothing here
        status = response.status
        retry_after = response.getheader("Retry-After", "")
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, TimeoutError) or not deadline.is_alive():
            return Outcome(False, None, f"no answer within {timeout:g} s")
        return Outcome(False, None, (str(exc) or type(exc).__name__)[:MAX_ERROR_CHARS])
    finally:
        deadline.cancel()
        connection.close()
    if 200 <= status < 300:
        return Outcome(True, status, None)
    reason = "a redirect, which is not followed" if 300 <= status < 400 else "not 2xx"
    wait = int(retry_after) if retry_after.isascii() and retry_after.isdigit() else None
    return Outcome(False, status, f"HTTP {status}: {reason}", wait)


def _cut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
