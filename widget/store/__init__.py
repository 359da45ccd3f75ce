"""The one package that owns Redis: every key and script of the service, behind ``Store``.

One room per concern, each a part of the one ``Store`` object the app makes:

    keys.py          the key layout (the table of every key), and every function naming one
    client.py        connect(), the errors that mean "no Redis", the retry, the Lua scripts
    cluster.py       the Redis Cluster client that connects on first use
    writes.py        a reader's reaction: one call on one Redis, three on a cluster
    results.py       ReactionResult: what the reaction scripts answer, by name
    windows.py       rate-limit windows counted inside a request's own call
    reactions.py     the counts reads, an article's reset and records
    articles.py      a new article's admission, the publisher's edits of an article
    indexes.py       a site's indexes and totals: moved after each write, paged, scanned
    rebuild.py       the rebuild of a site's indexes from its articles (``reindex``)
    site_records.py  the sites' settings, and a site's deletion
    lua/             the scripts, one file each; lua/lib/ the functions they share

The store knows nothing of Flask.
"""

from __future__ import annotations

from .articles import REFUSALS, ArticleRefused, Articles
from .client import STORAGE_ERRORS, Client, connect, is_out_of_memory, retry_policy
from .keys import TITLE_SORT_CHARS, article_hash, day_name, day_of, member_hash, title_member
from .reactions import (
    CAP_TTL_SECONDS,
    ArticleClosed,
    ArticleRecord,
    CapReached,
    Reactions,
    Tally,
    iso,
    reader_digest,
)
from .rebuild import IndexRebuild, ReindexResult
from .results import ReactionResult
from .sessions import DashboardSessions
from .site_records import SiteRecords
from .windows import Window, WindowLimited
from .writes import Admission, ReactionWrites


class Store(ReactionWrites, Reactions, Articles, SiteRecords, IndexRebuild, DashboardSessions):
    """Every Redis key and script of the service, around one shared client."""


__all__ = [
    "CAP_TTL_SECONDS",
    "REFUSALS",
    "STORAGE_ERRORS",
    "TITLE_SORT_CHARS",
    "Admission",
    "ArticleClosed",
    "ArticleRecord",
    "ArticleRefused",
    "CapReached",
    "Client",
    "ReactionResult",
    "ReindexResult",
    "Store",
    "Tally",
    "Window",
    "WindowLimited",
    "article_hash",
    "connect",
    "day_name",
    "day_of",
    "is_out_of_memory",
    "iso",
    "member_hash",
    "reader_digest",
    "retry_policy",
    "title_member",
]
