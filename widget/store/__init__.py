"""The one package that owns Redis: every key and script of the service, behind ``Store``.

``Store`` is made once, around one client; each of its parts owns its keys and scripts:

    keys.py          the key layout (the table of every key), and every function naming one
    client.py        connect(), the errors that mean "no Redis", the retry, the script trips
    cluster.py       the Redis Cluster client that connects on first use
    writes.py        store.set_reaction: one call on one Redis, two trips on a cluster
    reactions.py     store.get_tallies, the counts read; what a reaction is stored as
    results.py       ReactionResult: what the reaction scripts answer, by name
    windows.py       store.windows: rate-limit windows counted inside a request's own call
    articles.py      store.articles: admission, records, history, edits and reset of articles
    indexes.py       store.indexes: a site's indexes and totals, moved, paged, scanned, rebuilt
    imports.py       store.imports: imported counts (from another tool), written in batches
    backup.py        store.backup: a site's records read out and written back (backup, restore)
    top.py           store.top: the top list's day rankings, summed over days, a page at a time
    rebuild.py       the rebuild of a site's indexes from its articles (``reindex``)
    moves.py         store.moves: moving and merging articles, their aliases
    site_records.py  store.sites: the sites' settings, and a site's deletion
    sessions.py      store.sessions: dashboard sessions, listed by the key they signed in with
    key_use.py       store.key_use: when each API key was last used (a write a minute at most)
    audit_log.py     store.audit: each site's audit log (a stream), paged newest first
    webhooks.py      store.webhooks: a site's webhooks, secrets included
    events.py        store.webhook_queue: the webhooks' event stream and deliveries
    lua/             the scripts, one file each; lua/lib/ the functions they share

The store knows nothing of Flask.
"""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster

from . import keys
from .articles import REFUSALS, Admission, ArticleRecord, ArticleRefused, Articles
from .audit_log import AuditLog
from .backup import SiteBackup
from .client import STORAGE_ERRORS, Client, connect, is_out_of_memory, retry_policy
from .events import WebhookQueue
from .imports import ImportRow, Imports
from .indexes import SiteIndexes
from .key_use import KeyUse
from .keys import TITLE_SORT_CHARS, article_hash, day_name, day_of, member_hash, title_member
from .moves import Moved, MoveRefused, Moves, following
from .reactions import CAP_TTL_SECONDS, ArticleClosed, CapReached, Counts, Tally, iso, reader_digest
from .rebuild import ReindexResult
from .results import ReactionResult
from .sessions import DashboardSessions
from .site_records import SiteRecords
from .webhooks import Webhooks
from .windows import Window, WindowLimited, Windows
from .writes import ReactionWrites


class Store:
    """Every Redis key and script of the service, around one shared client.

    The two calls of the reader API's hot paths are the store's own (``set_reaction``,
    ``get_tallies``); the rest is asked of its parts: ``sites``, ``sessions``,
    ``key_use``, ``audit``, ``articles``, ``indexes`` and ``windows``. ``writes`` is the
    part that runs ``set_reaction``, its trips on a cluster included.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.windows = Windows(client)
        self.indexes = SiteIndexes(client)
        self.articles = Articles(client, self.indexes)
        self.top = self.indexes.top  # the top list's day rankings (top.py)
        self.sites = SiteRecords(client, self.indexes)
        self.sessions = DashboardSessions(client)
        self.key_use = KeyUse(client)
        self.audit = AuditLog(client)
        self.moves = Moves(client, self.indexes)
        self.webhooks = Webhooks(client)
        self.webhook_queue = WebhookQueue(client)
        self.writes = ReactionWrites(client, self.windows, self.indexes, self.articles)
        self.imports = Imports(client, self.indexes)
        self.backup = SiteBackup(client)
        # Bound once: the hot paths pay no call of the facade's own.
        # A moved article's reaction goes again where the move leads (moves.py).
        self.set_reaction = following(client, self.writes.set_reaction)
        self.get_tallies = Counts(client, self.windows).get_tallies

    def ping(self) -> bool:
        """Return whether Redis answers."""
        return bool(self.client.ping())

    def memory_full(self) -> bool:
        """Return whether Redis is at its maxmemory: it refuses a small write, or says so."""
        try:
            # A write, because Redis decides "out of memory" per command; the key is gone
            # in a few seconds. (On a cluster it probes the node of its slot.)
            self.client.set(keys.READY_PROBE, "1", px=5000)
        except redis.exceptions.ResponseError as exc:
            if is_out_of_memory(exc):
                return True
            raise
        if isinstance(self.client, redis.Redis):
            nodes = [self.client.info("memory")]
        else:  # every master of a cluster, each answering its own INFO, by node name
            nodes = list(self.client.info("memory", target_nodes=RedisCluster.PRIMARIES).values())
        return any(
            int(node.get("maxmemory", 0)) > 0
            and int(node.get("used_memory", 0)) >= int(node["maxmemory"])
            for node in nodes
        )


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
    "ImportRow",
    "MoveRefused",
    "Moved",
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
