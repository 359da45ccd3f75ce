"""The dashboard's Activity page: the site's audit log, newest first, filtered by action.

The same entries as ``GET .../audit`` (``publisher/audit.entry_json``), a page at a time;
a filter by action reads on through the log a bounded batch at a time
(``store/audit_log.py``), so a filter that matches nothing stays cheap.
"""

from __future__ import annotations

from flask import flash, g, render_template, request

from ..context import get_store
from ..publisher.audit import ACTIONS, entry_json
from ..publisher.roles import Role, needs
from ..sites import Site
from ..store.audit_log import CursorError
from .blueprint import bp
from .views import signed_in

PAGE_SIZE = 50


@bp.get("/activity")
@needs(Role.VIEWER)
@signed_in
def activity() -> str:
    """List who changed what on the site, newest first; ``?action=`` keeps one action."""
    site: Site = g.site
    action = request.args.get("action") or None
    if action not in ACTIONS:
        action = None
    cursor = request.args.get("cursor") or None
    try:
        page = get_store().audit.page(site.id, PAGE_SIZE, cursor, action)
    except CursorError:
        flash("That page link was out of date, so this is the newest page.", "info")
        page = get_store().audit.page(site.id, PAGE_SIZE, None, action)
        cursor = None
    return render_template(
        "dashboard/activity.html",
        entries=[entry_json(i, data) for i, data in page.entries],
        next_cursor=page.next_cursor,
        action=action,
        actions=ACTIONS,
        first_page=cursor is None,
    )
