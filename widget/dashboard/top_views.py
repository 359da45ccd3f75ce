"""The dashboard's Top page: the site's top list as readers get it, and the widget's top mode.

The list is the reader API's own (``reader/top.py``: the same sums, policies and cache), so
the publisher sees what a page's ``data-mode="top"`` would show; below it, that very widget,
served by this service's ``embed.js`` (the dashboard's CSP allows our own origin's scripts
and fetches, nothing else).
"""

from __future__ import annotations

from flask import g, render_template, request

from ..publisher.roles import Role, needs
from ..reader.top import DEFAULTS, MAX_DAYS, TopQuery, top_list
from ..sites import Site
from ..store.top import TOTAL
from .blueprint import bp
from .views import signed_in

LIMIT = 10  # articles the page lists (readers' lists: 1-20, 5 by default)
DAY_CHOICES = (1, 7, 30)


@bp.get("/top")
@needs(Role.VIEWER)
@signed_in
def top() -> str:
    """Show the site's top list for a reaction (or all) and a number of days, and its widget."""
    site: Site = g.site
    reaction = request.args.get("reaction", TOTAL)
    if reaction != TOTAL and reaction not in site.active_keys:
        reaction = TOTAL
    raw = request.args.get("days", "")
    days = int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw[:3]) <= MAX_DAYS else 7
    listed = top_list(site, TopQuery(reaction, days, LIMIT))
    return render_template(
        "dashboard/top.html",
        listed=listed,
        reaction=reaction,
        days=days,
        day_choices=DAY_CHOICES,
        limit=LIMIT,
        default_days=int(DEFAULTS["days"]),
    )
