"""Time strings that change once a second, formatted once a second."""

from __future__ import annotations

from collections.abc import Callable


class PerSecond:
    """Format a whole second (epoch) once, however many requests ask within that second."""

    def __init__(self, fmt: Callable[[int], str]) -> None:
        self._fmt = fmt
        self._cached: tuple[int, str] = (-1, "")

    def __call__(self, second: int) -> str:
        """Return the formatted second."""
        cached = self._cached  # one read: another thread may replace the tuple meanwhile
        if cached[0] != second:
            cached = self._cached = (second, self._fmt(second))
        return cached[1]
