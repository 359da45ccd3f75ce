"""When each named API key was last used, kept without a Redis write on every request.

A key's use is written (one HSET of the site's ``key-used`` hash) at most once a minute
per key by each worker: each worker remembers when it last wrote each key's time, in
memory. ``last_used_at`` is therefore at most a minute (plus the workers' disagreement)
behind, and a busy key costs one small write a minute per worker, not one a request.
"""

from __future__ import annotations

import time

from redis.exceptions import ResponseError

from . import keys
from .client import Client, is_out_of_memory

EVERY_SECONDS = 60.0
# A worker remembers at most this many keys' last writes; past it, it forgets them all
# (and writes each again once): memory stays bounded whatever the number of keys.
MAX_REMEMBERED = 10_000


class KeyUse:
    """Note and read when a site's keys were last used."""

    def __init__(self, client: Client, every_seconds: float = EVERY_SECONDS) -> None:
        self.client = client
        self.every_seconds = every_seconds
        self._written: dict[tuple[str, str], float] = {}

    def touch(self, site: str, name: str, at: str) -> bool:
        """Note that the key was used at ``at``; write it only if this worker has not
        written it in the last minute. Return whether it wrote."""
        now = time.monotonic()
        last = self._written.get((site, name))
        if last is not None and now - last < self.every_seconds:
            return False
        if len(self._written) >= MAX_REMEMBERED:
            self._written.clear()
        self._written[(site, name)] = now
        try:
            self.client.hset(keys.site_key(site, "key-used"), name, at)
        except ResponseError as exc:
            if is_out_of_memory(exc):  # reads never need free memory: a use goes unnoted
                return False
            raise
        return True

    def all(self, site: str) -> dict[str, str]:
        """Return when each key of the site was last used, by name."""
        return {
            str(k): str(v) for k, v in self.client.hgetall(keys.site_key(site, "key-used")).items()
        }

    def forget(self, site: str, name: str) -> None:
        """Forget a revoked key's use (a new key of the name starts unused)."""
        self._written.pop((site, name), None)
        self.client.hdel(keys.site_key(site, "key-used"), name)
