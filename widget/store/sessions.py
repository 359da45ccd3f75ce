"""Dashboard sessions on the server: one Redis key per signed-in session, with a TTL.

The signed cookie says which site a browser signed in to; this key says that the session
is still live. Signing out deletes it, so a copy of the cookie stops working at once; its
TTL, set at sign-in and never extended, bounds a session's life however busy it is.
Only a digest of the session id is in Redis, so whoever reads Redis cannot sign in.
"""

from __future__ import annotations

import secrets

from . import keys
from .client import Client


class DashboardSessions:
    """Start, check and end dashboard sessions."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def start(self, site: str, lifetime_seconds: int) -> str:
        """Start a session of the site that lives at most lifetime_seconds; return its id."""
        session_id = secrets.token_urlsafe(32)
        self.client.set(keys.session_key(site, session_id), "1", ex=max(1, lifetime_seconds))
        return session_id

    def is_live(self, site: str, session_id: str) -> bool:
        """Return whether the session was started and has neither ended nor expired."""
        return bool(self.client.exists(keys.session_key(site, session_id)))

    def end(self, site: str, session_id: str) -> None:
        """End the session: its cookie, wherever it was copied, stops working."""
        self.client.delete(keys.session_key(site, session_id))
