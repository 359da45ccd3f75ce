"""Progress of a long command: click's bar on standard error at a terminal, else nothing.

Every long command (``articles move --map``, and the others of ../shared/API.md's "Long
commands") prints only its result line when its output goes to a pipe or a file, and a
bar with a count and a rate on standard error when that is a terminal. click, which Flask
ships, draws the bar (``click.progressbar``); this says when, and adds the rate.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import click


class Progress(Protocol):
    """What a long command tells of its progress: ``n`` more items done."""

    def update(self, n: int = 1) -> None: ...


class _Quiet:
    def update(self, n: int = 1) -> None:
        del n


class _Bar:
    def __init__(self, bar: Any) -> None:  # click's ProgressBar (its module is private)
        self.bar = bar
        self.started = time.monotonic()
        self.done = 0

    def update(self, n: int = 1) -> None:
        self.done += n
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        self.bar.update(n, f"{rate:,.0f}/s")


@contextmanager
def progress(length: int, label: str) -> Iterator[Progress]:
    """Show a bar of ``length`` items on standard error if it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield _Quiet()
        return
    with click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        item_show_func=lambda rate: rate,
    ) as bar:
        yield _Bar(bar)
