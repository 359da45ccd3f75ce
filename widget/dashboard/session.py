"""The dashboard's session: which site is signed in, with which key, and its CSRF token.

The cookie is signed, and names a server-side session (``store/sessions.py``) that
signing out deletes and that expires ``PERMANENT_SESSION_LIFETIME`` seconds after sign-in.
It holds the digest of the key signed in with, whose role (found in the site record)
decides what a page offers. Revoking or rotating a key ends its sessions in the store, so
they end on every worker at once: each page checks its session there (one read).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Request, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from ..context import get_sites, get_store
from ..publisher.audit import set_actor
from ..publisher.auth import role_of, session_key
from ..publisher.roles import Role
from ..sites import Site
from ..sites.api_keys import now_iso
from ..sites.ids import key_digest

F = TypeVar("F", bound=Callable[..., Any])


class DashboardSessionInterface(SecureCookieSessionInterface):
    """The signed cookie session, opened on the dashboard's paths only."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Open the session under /dashboard; elsewhere give the read-only null session."""
        # Only the dashboard uses a session, and opening one (a signing serializer built
        # per request) cost the reader API's GET about 8% of its time. A null session
        # reads as empty and refuses writes, so nothing else can start using one by mistake.
        path = request.path
        if path == "/dashboard" or path.startswith("/dashboard/"):
            return super().open_session(app, request)
        return self.make_null_session(app)


def csrf_token() -> str:
    """Return the session's CSRF token, making one if it has none."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(sent: str | None) -> bool:
    """Return whether a form's CSRF token is the session's, compared in constant time."""
    token = session.get("csrf")
    return isinstance(token, str) and isinstance(sent, str) and hmac.compare_digest(sent, token)


def csrf_checked(message: str | None, endpoint: str, *carried: str) -> Callable[[F], F]:
    """Refuse a form's POST whose CSRF token is not the session's: change nothing, flash
    ``message`` (if any) and redirect to ``endpoint``, with the form's ``carried`` fields.

    Every form of the dashboard carries the token, so another site's page cannot post one
    in a signed-in publisher's name.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not csrf_ok(request.form.get("csrf")):
                if message:
                    flash(message, "error")
                values: dict[str, Any] = {n: request.form.get(n, "") for n in carried}
                return redirect(url_for(endpoint, **values))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def sign_in(site_id: str, api_key: str) -> Site | None:
    """Start a session for the site if the key is its key; return the site or None."""
    site = get_sites().get(site_id.strip().lower(), fresh=True)
    key = site.find_key(api_key.strip()) if site is not None else None
    if site is None or key is None:
        return None
    session.clear()  # a fresh session (and CSRF token) for every sign-in
    lifetime = int(current_app.permanent_session_lifetime.total_seconds())
    session.permanent = True  # the cookie expires with the server's record
    session["site"] = site.id
    session["kd"] = key_digest(api_key.strip())
    session["sid"] = get_store().sessions.start(site.id, lifetime, key.name)
    get_store().key_use.touch(site.id, key.name, now_iso())
    csrf_token()
    return site


def signed_in_site() -> Site | None:
    """Return the session's site while its key is still the site's and the session is live.

    The key's name becomes the request's actor and its role ``g.role`` (``dashboard_role``).
    """
    site_id, digest, sid = session.get("site"), session.get("kd"), session.get("sid")
    if not isinstance(site_id, str) or not isinstance(digest, str) or not isinstance(sid, str):
        return None
    # The cached record is enough: revoking or rotating a key deletes its sessions
    # (``store.sessions.end_of_key``), which ``is_live`` reads on every request anyway.
    site = get_sites().get(site_id)
    key = session_key(site, digest) if site is not None else None
    if site is None or key is None or not get_store().sessions.is_live(site.id, sid):
        for name in ("site", "kd", "sid"):
            session.pop(name, None)
        return None
    set_actor(key.name)
    g.role = role_of(key)
    g.key_name = key.name
    get_store().key_use.touch(site.id, key.name, now_iso())
    return site


def dashboard_role() -> Role:
    """Return the role of the key the request's session signed in with (viewer if none)."""
    role = g.get("role")
    return role if isinstance(role, Role) else Role.VIEWER


def sign_out() -> None:
    """End the session, on the server too: a copy of its cookie stops working."""
    site_id, sid = session.get("site"), session.get("sid")
    if isinstance(site_id, str) and isinstance(sid, str):
        get_store().sessions.end(site_id, sid)
    session.clear()
