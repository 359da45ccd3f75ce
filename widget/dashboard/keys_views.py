"""The dashboard's Keys page (admins): the site's keys, a form to make one, and revoking.

The same registry calls as ``POST``/``DELETE .../keys`` and ``sites keys``, the same
refusals, and one audit-log entry each, by the signed-in key. A new key is shown on the
page that made it, this once (pages are ``no-store``). Revoking the key signed in with
ends this session too.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..context import get_sites, get_store
from ..publisher.audit import record_key
from ..publisher.roles import Role, needs
from ..sites import Site, SiteError
from ..sites.api_keys import ROLES, KeyConflict, UnknownKey
from .blueprint import bp
from .session import csrf_checked
from .views import signed_in


def _page(
    made: dict[str, str] | None = None, error: str = "", status: int = 200
) -> ResponseReturnValue:
    site: Site = get_sites().require(g.site.id)  # as stored now: a key just made is listed
    used = get_store().key_use.all(site.id)
    keys = [k.listed(used.get(k.name)) for k in site.keys]
    return (
        render_template(
            "dashboard/keys.html", keys=keys, roles=ROLES, made=made, error=error,
            signed_in_as=g.get("key_name"),
        ),
        status,
    )  # fmt: skip


@bp.get("/keys")
@needs(Role.ADMIN)
@signed_in
def keys_page() -> ResponseReturnValue:
    """List the site's keys: name, role, made, last used."""
    return _page()


@bp.post("/keys")
@needs(Role.ADMIN)
@signed_in
@csrf_checked("The form had expired, so no key was made. Please try again.", "dashboard.keys_page")
def make_key() -> ResponseReturnValue:
    """Make a key and show it, this once."""
    site: Site = g.site
    name, role = request.form.get("name", "").strip(), request.form.get("role", "")
    try:
        key, api_key = get_sites().add_key(site.id, name, role)
    except SiteError as exc:
        return _page(error=str(exc), status=409 if isinstance(exc, KeyConflict) else 400)
    record_key(site.id, "key.create", key)
    return _page(made={"name": key.name, "role": key.role, "key": api_key})


@bp.post("/keys/revoke")
@needs(Role.ADMIN)
@signed_in
@csrf_checked(
    "The form had expired, so nothing was revoked. Please try again.", "dashboard.keys_page"
)
def revoke_key() -> ResponseReturnValue:
    """Revoke a key: it stops working at once, and its sessions end."""
    site: Site = g.site
    try:
        key = get_sites().revoke_key(site.id, request.form.get("name", ""))
    except SiteError as exc:
        status = (
            409 if isinstance(exc, KeyConflict) else 404 if isinstance(exc, UnknownKey) else 400
        )
        return _page(error=str(exc), status=status)
    record_key(site.id, "key.revoke", key)
    flash(f"Revoked the key “{key.name}”: it no longer works.", "info")
    return redirect(url_for("dashboard.keys_page"))
