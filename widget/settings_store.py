"""The store's part in the settings: a new reaction's index, an article's closed flag.

These belong with the store (its indexes and article modules) and take the one Store,
using its key layout; they live apart only while the store is being split into a package.
The article hash's ``closed`` field ("1" closed, "0" reopened even past the site's age
limit, absent: the site's rule) is read by ``set_reaction.lua`` and ``Store.get_tallies``
in the same trips as the counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from .store import Store, article_hash

CLOSED_FIELD = "closed"


def add_reaction_indexes(store: Store, site: str, keys: Sequence[str]) -> None:
    """Put every article of the site into the (new) indexes of these reactions, at 0."""
    total = store._index_key(site, "total")
    for key in keys:
        index = store._index_key(site, key)
        # by:<key> ∪ total with the totals weighed 0: every article, and any count that a
        # reader gave the new reaction meanwhile kept. One command, in the site's slot.
        store.client.zunionstore(index, {index: 1, total: 0}, aggregate="SUM")


def set_closed(store: Store, site: str, article: str, closed: bool) -> bool:
    """Close or reopen voting on an article; return False if it has no record (no counts)."""
    article_key = store._article_keys(site, article_hash(article))[0]
    # (A reset between these two calls would leave a hash with only this flag: harmless,
    # it has no id, so no list shows it, and a new first reaction finds it as set here.)
    if not store.client.hexists(article_key, "id"):
        return False
    store.client.hset(article_key, CLOSED_FIELD, "1" if closed else "0")
    return True
