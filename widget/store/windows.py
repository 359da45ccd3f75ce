"""Rate-limit windows counted inside a request's own Redis call, not in a call of their own.

flask-limiter counts each fixed window with a script call of its own (the limits library's
``incr_expire.lua``) before the view runs: on the reader API's hot paths that was half of
the round trips. So the reader API's windows are counted by the call that reads
or writes (``lua/lib/windows.lua``, the same INCRBY and EXPIRE, stopping at the first
window over, as flask-limiter does): a counts GET sends them in the pipeline of its read,
a reaction's script counts them before anything else. ``reader/limits.py`` says which
limits and names each window as flask-limiter would, so a window is the same whichever counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.crc import key_slot

from .client import (
    Client,
    ScriptCall,
    read_commands,
    read_with_script,
    register_script,
    run_script,
)


@dataclass(frozen=True)
class Window:
    """One fixed window that a request spends: its key, its amount, its length."""

    key: str
    amount: int
    seconds: int
    limit: str  # as flask-limiter says it: "120 per 1 minute"


class WindowLimited(Exception):
    """A window refused the request: it is over its amount for ``ttl`` more seconds."""

    def __init__(self, window: Window, ttl: int, count: int) -> None:
        super().__init__(window.limit)
        self.window, self.ttl, self.count = window, ttl, count


def window_args(windows: Sequence[Window]) -> list[str | int]:
    """Return the ARGV of ``hit_windows``: each window's amount and length."""
    return [value for w in windows for value in (w.amount, w.seconds)]


def raise_if_limited(reply: Any, windows: Sequence[Window]) -> None:
    """Raise WindowLimited for ``hit_windows``'s answer ``{i, ttl, count}`` (None: passed)."""
    if reply:
        index, ttl, count = (int(part) for part in reply[-3:])
        raise WindowLimited(windows[index - 1], ttl, count)


def in_slot(windows: Sequence[Window], key: str) -> list[Window]:
    """Return the windows that live in the slot of ``key``."""
    slot = key_slot(key.encode())
    return [w for w in windows if key_slot(w.key.encode()) == slot]


class Windows:
    """Rate-limit windows, counted alone or in the trip of a read."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.script = register_script(client, "windows.lua")

    def runs(self, windows: Sequence[Window]) -> list[list[Window]]:
        """Split the windows into runs one script may count: one on one Redis, a slot's each."""
        runs: list[list[Window]] = []
        single = isinstance(self.client, redis.Redis)
        for w in windows:
            if runs and (single or key_slot(runs[-1][0].key.encode()) == key_slot(w.key.encode())):
                runs[-1].append(w)
            else:
                runs.append([w])
        return runs

    def call(self, run: Sequence[Window]) -> ScriptCall:
        """Return the script call that counts one run of windows (``raise_if_limited``)."""
        return self.script, [w.key for w in run], window_args(run)

    def hit(self, windows: Sequence[Window]) -> None:
        """Count the windows in order, or raise WindowLimited (a call a slot on a cluster)."""
        for run in self.runs(windows):
            raise_if_limited(run_script(self.call(run)), run)

    def read(self, windows: Sequence[Window], commands: Sequence[tuple[str, ...]]) -> list[Any]:
        """Count the windows and send the read commands together; raise WindowLimited if over.

        One trip on one Redis; on a cluster, one to each node that holds some of the keys.
        """
        if len(self.runs(windows)) > 1:  # windows of several slots: not in one script
            self.hit(windows)
            windows = ()
        if not windows:
            return read_commands(self.client, commands)
        keys = [w.key for w in windows]
        replies = read_with_script(self.client, self.script, keys, window_args(windows), commands)
        raise_if_limited(replies[0], windows)
        return replies[1:]
