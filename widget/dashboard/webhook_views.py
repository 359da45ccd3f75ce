"""The dashboard's Webhooks page: the site's webhooks, their last deliveries, and forms.

An admin makes and deletes webhooks here with plain forms (CSRF-checked, no script),
through ``webhooks.hooks`` as the publisher API does, so both accept and refuse the same
things. A new webhook's secret is shown on the page that answers the form, once, and is
never put in the session cookie or a redirect. Everyone signed in sees each webhook's last
deliveries, with their status and error.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import config
from ..context import get_sites, get_store
from ..publisher.roles import Role, needs
from ..sites import Site
from ..webhooks import hooks
from .blueprint import bp
from .session import csrf_checked, dashboard_role
from .views import signed_in

SHOWN_DELIVERIES = 10


def can_manage() -> bool:
    """Say whether the session may make and delete webhooks (an admin's)."""
    return dashboard_role() >= Role.ADMIN


def _page(
    form: dict[str, Any], error: str = "", made: Any = None, status: int = 200
) -> tuple[str, int]:
    site: Site = g.site
    store = get_store()
    webhooks = [
        {**hooks.shown(i, r), "deliveries": store.webhook_queue.log(i, SHOWN_DELIVERIES)}
        for i, r in store.webhooks.list(site.id).items()
    ]
    page = render_template(
        "dashboard/webhooks.html",
        webhooks=webhooks,
        form=form,
        error=error,
        made=made,
        events=hooks.EVENTS,
        manage=can_manage(),
        most=hooks.MAX_WEBHOOKS,
    )
    return page, status


@bp.get("/webhooks")
@needs(Role.VIEWER)
@signed_in
def webhooks_page() -> ResponseReturnValue:
    """Show the site's webhooks and their last deliveries."""
    default = ", ".join(map(str, hooks.DEFAULT_MILESTONES))
    return _page({"url": "", "events": list(hooks.EVENTS), "milestones": default})


@bp.post("/webhooks")
@needs(Role.ADMIN)
@signed_in
@csrf_checked(
    "The form had expired, so nothing was made. Please try again.", "dashboard.webhooks_page"
)
def make_webhook() -> ResponseReturnValue:
    """Make a webhook from the form; show its secret once, or the form again with the error."""
    if not can_manage():
        flash("Only an admin key makes webhooks.", "error")
        return redirect(url_for("dashboard.webhooks_page"))
    milestones = request.form.get("milestones", "")
    form = {
        "url": request.form.get("url", "").strip(),
        "events": request.form.getlist("events"),
        "milestones": milestones,
    }
    body: dict[str, Any] = {"url": form["url"], "events": form["events"]}
    parts = milestones.replace(",", " ").split()
    if parts:  # none: the default milestones
        body["milestones"] = [int(p) if p.isdigit() else p for p in parts]
    allow_private = bool(current_app.config[config.WEBHOOK_ALLOW_PRIVATE])
    try:
        made = hooks.create(get_store(), get_sites(), g.site, body, allow_private)
    except hooks.WebhookError as exc:
        return _page(form, f"Nothing was made: {exc}.", status=400)
    return _page({"url": "", "events": list(hooks.EVENTS), "milestones": ""}, made=made)


@bp.post("/webhooks/delete")
@needs(Role.ADMIN)
@signed_in
@csrf_checked(
    "The form had expired, so nothing was deleted. Please try again.", "dashboard.webhooks_page"
)
def delete_webhook() -> ResponseReturnValue:
    """Delete one webhook."""
    hook = request.form.get("hook", "")
    if not can_manage():
        flash("Only an admin key deletes webhooks.", "error")
    elif hooks.is_id(hook) and hooks.delete(get_store(), get_sites(), g.site, hook):
        flash("Deleted the webhook: nothing more is sent to it.", "info")
    else:
        flash("There is no such webhook.", "error")
    return redirect(url_for("dashboard.webhooks_page"))
