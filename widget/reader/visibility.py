"""What readers may see of an article: its counts as the site's policy allows, and closing.

Enforced here, on the server, for the counts GET and the POST answer alike: a hidden
count is left out of the answer, never sent for the widget to hide. Policies:

* ``always``: nothing is hidden.
* ``after_reacting``: hidden unless the request names a reader who holds a reaction to
  the article. A counts GET without ``reader`` (the widget's first, cacheable request)
  therefore gets every entry hidden, the same answer for every reader, so it stays
  ``public`` and cacheable; a reader who has reacted asks again with ``reader=``, and
  that answer is ``private, no-store`` like every answer with ``reader``.
* ``threshold``: hidden while the article's total (of its active reactions) is below the
  site's ``visibility_threshold``.
* ``publisher_only``: always hidden; the publisher sees counts in the dashboard and API.

``mine`` is never hidden: it is the reader's own choice.
"""

from __future__ import annotations

import time
from typing import Any

from ..sites import Site
from ..store import Store, Tally, iso

DAY_SECONDS = 86400


def closes_before(site: Site, now: float | None = None) -> str:
    """Return the time (ISO 8601) at or before which a first reaction means closed, or ""."""
    if site.close_after_days is None:
        return ""
    now = time.time() if now is None else now
    return iso(now - site.close_after_days * DAY_SECONDS)


def is_closed(site: Site, tally: Tally, cutoff: str) -> bool:
    """Return whether voting on the article is closed (``cutoff`` from closes_before)."""
    if tally.closed is not None:
        return tally.closed
    return bool(cutoff and tally.first and tally.first <= cutoff)


def article_closed(store: Store, site: Site, article: str) -> bool:
    """Return whether voting on an article is closed, reading its flags (one trip)."""
    tally = store.get_tallies(site.id, [article], ())[article]
    return is_closed(site, tally, closes_before(site))


def is_hidden(site: Site, tally: Tally, total: int, with_reader: bool) -> bool:
    """Return whether the policy hides this article's counts from this caller."""
    policy = site.visibility
    if policy == "after_reacting":
        return not (with_reader and tally.mine)
    if policy == "threshold":
        return total < site.visibility_threshold
    return policy == "publisher_only"


def article_entry(site: Site, tally: Tally, with_mine: bool, cutoff: str) -> dict[str, Any]:
    """Return an article's entry in a reader answer: active counts unless hidden, closed."""
    counts = tally.counts
    if len(counts) != len(site.active_keys):  # retired reactions' counts are not shown
        counts = {key: counts.get(key, 0) for key in site.active_keys}
    total = sum(counts.values())
    entry: dict[str, Any]
    if is_hidden(site, tally, total, with_mine):
        entry = {"hidden": True}
    else:
        entry = {"counts": counts, "total": total}
    if with_mine:
        # A reader may still hold a retired reaction: it is theirs to see and withdraw.
        entry["mine"] = tally.mine
    if is_closed(site, tally, cutoff):
        entry["closed"] = True
    return entry
