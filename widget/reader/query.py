"""The counts GET's query string, parsed by hand because it is the hot path's biggest cost.

``parse_query`` gives the same pairs as ``parse_qsl(query, keep_blank_values=True,
errors="strict")``, the parse behind werkzeug's ``request.args`` but refusing bytes that are
not UTF-8 (werkzeug keeps them percent-encoded, "%FF", which would name another article).
It earns its place by measurement (the rule: a hand-written copy of a library routine stays
only where it earns at least 5% on its endpoint): about 9% of a 100-article counts GET's CPU,
measured in one process because ``scripts/bench`` moves more than that from run to run
(the figures: ``docs/benchmark.md``, "Hand-written copies of library routines").
"""

from __future__ import annotations

from urllib.parse import unquote, unquote_to_bytes


def _unquote(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii():  # what unquote() does for ASCII text, without its regex split
        return unquote_to_bytes(text).decode("utf-8", "strict")
    return unquote(text, errors="strict")


def parse_query(query: bytes) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of a query string; raise UnicodeDecodeError on non-UTF-8.

    Most values need no unquoting, and ASCII ones skip ``unquote``'s regex split.
    """
    pairs = []
    for part in query.decode().split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((_unquote(name), _unquote(value)))
    return pairs
