"""Rate-limit windows counted inside a request's own Redis call, not in a call of their own.

flask-limiter counts each fixed window with a script call of its own (the limits library's
``incr_expire.lua``) before the view runs: on the reader API's hot paths that was half of
the round trips. So the reader API's windows are counted by the call that reads
or writes (``lua/lib/windows.lua``, the same INCRBY and EXPIRE, stopping at the first
window over, as flask-limiter does): a counts GET sends them in the pipeline of its read,
a reaction's script counts them before anything else. ``reader/limits.py`` says which
limits and names each window as flask-limiter would, so a window is the same whichever counts it.

Reads never need free memory: while Redis refuses writes for want of it (``maxmemory``,
noeviction), a window it cannot count is counted in the process's own memory instead (the
``limits`` library's ``MemoryStorage``, as flask-limiter's in-memory fallback does), so the
read is served and its limit still holds, per worker (each starting from what Redis
held of the window), until Redis has room again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis
from limits.storage import MemoryStorage
from redis.crc import key_slot

from .client import (
    Client,
    ScriptCall,
    is_out_of_memory,
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

    @cached_property
    def spare(self) -> MemoryStorage:
        """Return where windows are counted while Redis has no memory for them: this process."""
        return MemoryStorage()

    def hit_in_memory(self, windows: Sequence[Window]) -> None:
        """Count the windows in order in the process's memory, as ``hit_windows`` does.

        A window this process has not counted yet starts from what Redis holds of it (a
        read, one trip), so a client over a limit when Redis filled stays refused.
        """
        fresh = [w for w in windows if not self.spare.get(w.key)]
        held: dict[str, tuple[int, float]] = {}
        if fresh:
            replies = read_commands(
                self.client, [c for w in fresh for c in (("GET", w.key), ("PTTL", w.key))]
            )
            for w, count, pttl in zip(fresh, replies[::2], replies[1::2], strict=True):
                if count and int(pttl) > 0:
                    held[w.key] = (int(count), int(pttl) / 1000)
        for w in windows:
            before, seconds = held.get(w.key, (0, w.seconds))
            count = self.spare.incr(w.key, seconds, before + 1)
            if count > w.amount:
                raise WindowLimited(w, int(self.spare.get_expiry(w.key) - time.time()), count)

    def counted(self, reply: Any, windows: Sequence[Window]) -> None:
        """Judge ``hit_windows``'s reply: raise WindowLimited; count in memory after an OOM."""
        if isinstance(reply, Exception):
            if not is_out_of_memory(reply):
                raise reply
            self.hit_in_memory(windows)
        else:
            raise_if_limited(reply, windows)

    def hit(self, windows: Sequence[Window]) -> None:
        """Count the windows in order, or raise WindowLimited (a call a slot on a cluster)."""
        for run in self.runs(windows):
            try:
                reply = run_script(self.call(run))
            except redis.exceptions.ResponseError as exc:
                reply = exc
            self.counted(reply, run)

    def read(self, windows: Sequence[Window], commands: Sequence[tuple[str, ...]]) -> list[Any]:
        """Count the windows and send the read commands together; raise WindowLimited if over.

        One trip on one Redis; on a cluster, one to each node that holds some of the keys.
        The read is served whether Redis had the memory to count the windows or not.
        """
        if len(self.runs(windows)) > 1:  # windows of several slots: not in one script
            self.hit(windows)
            windows = ()
        if not windows:
            return read_commands(self.client, commands)
        keys = [w.key for w in windows]
        replies = read_with_script(
            self.client, self.script, keys, window_args(windows), commands, keep_errors=True
        )
        for reply in replies[1:]:
            if isinstance(reply, Exception):
                raise reply
        self.counted(replies[0], windows)
        return replies[1:]
