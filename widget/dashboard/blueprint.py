"""The dashboard's blueprint: server-rendered pages behind a signed session cookie.

Threat model, enforced here: the pages show a site's private tallies and can reset
articles, so the session cookie is signed, ``HttpOnly``, ``SameSite=Strict`` and
``Secure`` with the ``__Host-`` prefix (unless ``SESSION_COOKIE_SECURE=0``), and names a
server-side session that signing out ends and that expires after
``PERMANENT_SESSION_LIFETIME``; every POST form (sign-out included, so a link from another
site cannot sign anyone out) carries a per-session CSRF token; every page forbids framing
and any script, style or form target but our own; and article titles and URLs, which
readers' browsers sent, are escaped, with only
``http(s)`` URLs made into links.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState

bp = Blueprint(
    "dashboard",
    __name__,
    url_prefix="/dashboard",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

SECURE_COOKIE_NAME = "__Host-session"
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


@bp.record_once
def configure_session(state: BlueprintSetupState) -> None:
    """Make the session cookie unreadable to scripts and never sent by other sites."""
    app = state.app
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    # The __Host- prefix: a browser takes such a cookie only if it is Secure, with Path=/
    # and no Domain, so neither a sibling subdomain nor a plain-http page can set or
    # shadow it. It needs Secure: with SESSION_COOKIE_SECURE=0 (the run command's plain
    # http on this machine) a browser would refuse it, and the cookie keeps its plain name.
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.config["SESSION_COOKIE_NAME"] = SECURE_COOKIE_NAME
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Send the dashboard's security headers with every page and file, errors included."""
    # after_app_request, not after_request: a path under /dashboard/ that matches no
    # route (a 404, a 405) has no blueprint, and must be just as locked down.
    if request.path != "/dashboard" and not request.path.startswith("/dashboard/"):
        return response
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"  # private tallies
    return response
