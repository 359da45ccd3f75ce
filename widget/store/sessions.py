"""Dashboard sessions on the server: one Redis key per signed-in session, with a TTL.

The signed cookie says which site a browser signed in to; this key says that the session
is still live. Signing out deletes it, so a copy of the cookie stops working at once; its
TTL, set at sign-in and never extended, bounds a session's life however busy it is.
Only a digest of the session id is in Redis, so whoever reads Redis cannot sign in.

Each session is also listed under the name of the key it signed in with, so revoking or
rotating that key ends every session signed in with it (``end_of_key``) on every worker.
"""

from __future__ import annotations

import secrets

from . import keys
from .client import Client


class DashboardSessions:
    """Start, check and end dashboard sessions."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def start(self, site: str, lifetime_seconds: int, key_name: str = "") -> str:
        """Start a session of the site that lives at most lifetime_seconds; return its id."""
        session_id = secrets.token_urlsafe(32)
        ttl = max(1, lifetime_seconds)
        session_key = keys.session_key(site, session_id)
        # One slot ({site}): the session and its key's list are written together.
        pipe = self.client.pipeline(transaction=True)
        pipe.set(session_key, key_name or "1", ex=ttl)
        if key_name:
            listed = keys.key_sessions_key(site, key_name)
            pipe.sadd(listed, session_key)
            pipe.expire(listed, ttl)  # every session lives as long: the newest outlives all
        pipe.execute()
        return session_id

    def is_live(self, site: str, session_id: str) -> bool:
        """Return whether the session was started and has neither ended nor expired."""
        return bool(self.client.exists(keys.session_key(site, session_id)))

    def end(self, site: str, session_id: str) -> None:
        """End the session: its cookie, wherever it was copied, stops working."""
        session_key = keys.session_key(site, session_id)
        name = self.client.get(session_key)
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(session_key)
        if name and name != "1":
            pipe.srem(keys.key_sessions_key(site, str(name)), session_key)
        pipe.execute()

    def end_of_key(self, site: str, key_name: str) -> int:
        """End every session signed in with the named key; return how many were live."""
        listed = keys.key_sessions_key(site, key_name)
        members = [str(m) for m in self.client.smembers(listed)]
        pipe = self.client.pipeline(transaction=True)
        for session_key in members:
            pipe.delete(session_key)
        pipe.delete(listed)
        ended = pipe.execute()
        return sum(int(n) for n in ended[:-1])
