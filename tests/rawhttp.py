"""Raw HTTP/1.1 over a socket: for requests that HTTP clients refuse to send as they are."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class RawAnswer:
    """A parsed HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body as JSON."""
        return json.loads(self.body)


def _read_answer(sock: socket.socket) -> RawAnswer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the connection closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawAnswer(status, headers, body[:length])


def raw_request(base_url: str, head: bytes, body: bytes = b"", timeout: float = 10) -> RawAnswer:
    """Send the request head (without the blank line) and body whole, then read the answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head + b"\r\n\r\n" + body)
        return _read_answer(sock)


def chunked(body: bytes, size: int = 1000) -> bytes:
    """Return the body in Transfer-Encoding: chunked form."""
    out = b""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def send_then_read(
    base_url: str, head: bytes, body: bytes, pause: float = 0.2, timeout: float = 10
) -> RawAnswer:
    """Send the head, wait for the server to answer, then send the whole body and read.

    What a client that does not look for an early answer does: the server has answered
    (and may have closed) before the body is on its way.
    """
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head + b"\r\n\r\n")
        time.sleep(pause)
        for start in range(0, len(body), 16384):
            sock.sendall(body[start : start + 16384])
        return _read_answer(sock)
