"""The dashboard's blueprint: server-rendered pages behind a signed session cookie.

Threat model, enforced here: the pages show a site's private tallies and can reset
articles, so the session cookie is signed, ``HttpOnly``, ``SameSite=Strict`` and
``Secure`` (unless ``SESSION_COOKIE_SECURE=0``), and names a server-side session that
signing out ends and that expires after ``PERMANENT_SESSION_LIFETIME``; every POST form
(sign-out included, so a link from another site cannot sign anyone out) carries a
per-session CSRF token; every page forbids framing and any script, style or form target but our own;
and article titles and URLs, which readers' browsers sent, are escaped, with only
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

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


@bp.record_once
def configure_session(state: BlueprintSetupState) -> None:
    """Make the session cookie unreadable to scripts and never sent by other sites."""
    app = state.app
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"


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
