"""The progress bar of every long command: on a terminal's standard error, and nowhere else.

A long command (``reindex``, ``sites delete``, ``demo-data``, ``import``, ``sites
backup``, ``sites restore``) wraps its work in ``progress(label, length)`` and calls
``update(n)`` as it goes. When standard error is a terminal, that is click's progress bar
(click ships with Flask) with the count done, the total, and the rate; through a pipe or a
file it prints nothing at all, so a script sees only the command's result line (and a
backup written to standard output stays the only thing there).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import click


class Progress(Protocol):
    """What a long command moves: ``update(n)`` when n more items are done."""

    def update(self, n_steps: int) -> None:
        """Say that ``n_steps`` more items are done."""


class _Hidden:
    def update(self, n_steps: int) -> None:
        del n_steps


def on_terminal() -> bool:
    """Say whether standard error is a terminal (the bar shows only there)."""
    return sys.stderr.isatty()


@contextmanager
def progress(label: str, length: int) -> Iterator[Progress]:
    """Show a bar of ``length`` items on a terminal's standard error while the block runs."""
    if not on_terminal():
        yield _Hidden()
        return
    started = time.monotonic()
    bar: Any = None

    def rate(_item: object) -> str:
        elapsed = time.monotonic() - started
        done = bar.pos if bar is not None else 0
        return f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""

    with click.progressbar(
        length=max(length, 0),
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        item_show_func=rate,
        width=30,
    ) as made:
        bar = made
        yield made
