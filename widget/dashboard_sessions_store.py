"""Dashboard sessions on the server: one Redis key per signed-in session, with a TTL.

The signed cookie says which site a browser signed in to; this key says that the session
is still live. Signing out deletes it, so a copy of the cookie stops working at once; its
TTL, set at sign-in and never extended, bounds a session's life however busy it is.
Only a digest of the session id is in Redis, so whoever reads Redis cannot sign in.

Keys: ``rx:ds:{<site>}:<digest>`` (the site's hash tag: deleting a site's keys, a scan of
its slot, takes its sessions too). This module belongs in the store package.
"""

from __future__ import annotations

import hashlib
import secrets

from .store import PREFIX, Client


class DashboardSessions:
    """Start, check and end dashboard sessions, around the store's one client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @staticmethod
    def key(site: str, session_id: str) -> str:
        """Return the Redis key of a session of a site."""
        digest = hashlib.sha256(session_id.encode()).hexdigest()[:32]
        return f"{PREFIX}:ds:{{{site}}}:{digest}"

    def start(self, site: str, lifetime_seconds: int) -> str:
        """Start a session of the site that lives at most lifetime_seconds; return its id."""
        session_id = secrets.token_urlsafe(32)
        self.client.set(self.key(site, session_id), "1", ex=max(1, lifetime_seconds))
        return session_id

    def is_live(self, site: str, session_id: str) -> bool:
        """Return whether the session was started and has neither ended nor expired."""
        return bool(self.client.exists(self.key(site, session_id)))

    def end(self, site: str, session_id: str) -> None:
        """End the session: its cookie, wherever it was copied, stops working."""
        self.client.delete(self.key(site, session_id))
