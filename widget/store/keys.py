"""The Redis key layout of the service: every key is named here, and nowhere else.

Key layout (``{...}`` is the Redis Cluster hash tag):

    rx:a:{<site>|<ah>}        hash   one article: "c:<reaction>" counts, id, title, url,
                                     first, last (ISO 8601 UTC), closed ("1": the
                                     publisher closed voting, "0": reopened it),
                                     "i:<reaction>" the imported part of c:<reaction>
                                     (counts from another tool: imports.py), m (the
                                     highest webhook milestone its total reached)
                                     An alias (a moved article, moves.py) holds only
                                     "alias" -> the id it names; while a cluster's move
                                     runs, the article also holds "moving" -> that id
                                     and "moving-op" -> the move's op
    rx:m:{<site>|<ah>}        list   the ids moved into the article, oldest first
    rx:mv:{<site>|<ah>}:<op>  string one move's merge into this article, as it answered
                                     (a cluster's step sent again; expires after a day)
    rx:r:{<site>|<ah>}        hash   reader digest -> reaction key
    rx:h:{<site>|<ah>}        hash   "<yyyymmdd>:<reaction>" -> net change that day
    rx:s:{<site>}:total       zset   article hash -> total       (per-site indexes,
    rx:s:{<site>}:by:<r>      zset   article hash -> count of r   updated after the
    rx:s:{<site>}:recent      zset   article hash -> last epoch   article script, by
    rx:s:{<site>}:counts      hash   reaction -> site total       update_site.lua)
    rx:s:{<site>}:days        hash   "<yyyymmdd>:<reaction>" -> net change that day
    rx:s:{<site>}:day:<d>:<r> zset   article id -> minus its net change of r (or of the
                                     "total") on day d: the top list's rankings (top.py;
                                     expire RANK_DAYS after the day's start)
    rx:s:{<site>}:top:<r>:<n>:<d> zset the sum of the n day rankings of r up to day d, kept
                                     a minute for every worker's top list (top.py)
    rx:s:{<site>}:top-sums    string the sums made in this minute (top.py; lives a minute)
    rx:x:{<site>|<ah>}:<day>  hash   address hash -> new reactions it added that day (the
                                     ballot-stuffing cap; an IPv6 client's /48 hash too;
                                     expires after 2 days)
    rx:s:{<site>}:refused     hash   "<yyyymmdd>" -> reactions the cap refused that day;
                                     "<yyyymmdd>:<code>" -> new articles refused that day
                                     (article_limit, new_article_budget,
                                     signature_required, invalid_signature)
    rx:s:{<site>}:new:<day>   hash   address hash -> new articles it started that day (the
                                     per-address budget; an IPv6 client's /48 hash too;
                                     expires after 2 days)
    rx:o:{<site>|<ah>}:<op>   string one reaction call's result, under a random id of the
                                     call, so that a script re-sent after a timeout answers
                                     what its first run did (expires after a minute)
    rx:s:{<site>}:o:<op>      string "this call's site-index update was applied" (a minute)
    rx:s:{<site>}:titles      zset   "<casefolded title>\\0<ah>" scored 0: articles A to Z
    rx:s:{<site>}:title-of    hash   article hash -> its member of :titles
    rx:s:{<site>}:moved       hash   alias's hash -> the hash of the article it names:
                                     a reaction's late index update skips it (moves.py)
    rx:s:{<site>}:o:mv-<op>   string "this move's site-index update was applied" (a day)
    rx:rl:LIMITER/<id>/...    string a rate-limit window, named as flask-limiter names it
                                     (windows.py): <id> is "a:{<address hash>}" (an
                                     address's windows share a slot) or, for the limit
                                     per address and article, "a:<address hash>:{<site>|<ah>}"
                                     (in the article's slot; <site> is "-" when the
                                     request named no existing site)
    rx:{sites}:site:<site>    string the site's settings, JSON
    rx:{sites}:all            set    every site id
    rx:ds:{<site>}:<digest>   string a live dashboard session (a digest of its id; expires
                                     PERMANENT_SESSION_LIFETIME after sign-in)
    rx:s:{<site>}:sessions:<key name>  set  the sessions (their keys) signed in with a key,
                                     ended when it is revoked (expires with the newest)
    rx:s:{<site>}:key-used    hash   key name -> when it was last used (ISO 8601 UTC),
                                     written at most once a minute per key and worker
    rx:s:{<site>}:audit       stream the site's audit log: "e" -> JSON of one change, by
                                     time; trimmed to 366 days and 20,000 entries
    rx:ready                  string /readyz's probe write (lives 5 seconds)
    rx:s:{<site>}:webhooks    hash   webhook id -> its record, JSON (secret included)
    rx:{webhooks}:events      stream events waiting for the worker's fan-out (capped)
    rx:{webhooks}:due         zset   delivery id -> when its next attempt is due (or its
                                     claim by a worker ends)
    rx:{webhooks}:d:<id>      hash   one delivery: its webhook, body, status, attempts
                                     (expires 7 days after its last change)
    rx:{webhooks}:log:<hook>  zset   delivery id -> created: a webhook's last deliveries
    rx:{webhooks}:sites       set    sites that have webhooks (for the daily digest)
    rx:{webhooks}:digest:<site>:<day>  string "that day's digest is queued" (3 days)

``<ah>`` is a digest of the article id: ids are up to 512 bytes of any printable text,
and a ``{`` or ``}`` in them must not change which slot an article's keys live in.

One article's keys share a hash tag, so each script touches one slot. The per-site
indexes live in another slot; they are moved by deltas (ZINCRBY, HINCRBY), which commute,
so racing writers leave them exact.

A ``*`` given for a part of a name makes a SCAN pattern of it (site ids and article hashes
hold no glob characters); ``site_keys_pattern`` matches every key of one site but its
record (each of them holds ``{<site>}`` or ``{<site>|``).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime

from ..clock import PerSecond

PREFIX = "rx"
ALL_KEYS = f"{PREFIX}:*"  # a SCAN pattern: every key of the service
SITES_TAG = "{sites}"
# flask-limiter's storage prefix: its windows are "<this>:LIMITER/...".
RATE_LIMIT_PREFIX = f"{PREFIX}:rl"
# A UTC day as the history, the cap and the site's day series name it.
DAY_FORMAT = "%Y%m%d"
# The per-site indexes of a site that are not one per reaction (those are index_key's).
SITE_INDEXES = ("total", "recent", "counts", "days", "titles", "title-of")
TITLE_SORT_CHARS = 100
# Days a day ranking (day_rank_key) lives from its day's start: a top list of 30 days,
# today included, always finds its oldest day. lib/update_site.lua says it again.
RANK_DAYS = 31
# /readyz writes this key to learn whether Redis still takes writes (out of memory).
READY_PROBE = f"{PREFIX}:ready"


# Formatted once a second, not once a request: a request's address hash asks for the
# day, and a POST's write asks again (scripts/cpu: commit message of this line).
_day_of_second = PerSecond(lambda second: datetime.fromtimestamp(second, UTC).strftime(DAY_FORMAT))


def day_of(epoch: float) -> str:
    """Return the UTC day of an epoch time as yyyymmdd."""
    return _day_of_second(math.floor(epoch))


def day_name(day: date) -> str:
    """Return a calendar day as yyyymmdd."""
    return day.strftime(DAY_FORMAT)


def article_hash(article: str) -> str:
    """Return the short digest that names an article in Redis keys."""
    # surrogatepass: the per-article window is counted before the id is checked, and a JSON
    # body can hold a lone surrogate ("\ud800") that UTF-8 cannot encode; any real id
    # encodes as before, and the check refuses this one with a 400 afterwards.
    data = article.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=10, person=b"rx-article-v1").hexdigest()


def _article_tag(site: str, ah: str) -> str:
    return f"{{{site}|{ah}}}"


def article_key(site: str, ah: str) -> str:
    """Return the hash of an article's counts and metadata."""
    return f"{PREFIX}:a:{_article_tag(site, ah)}"


def article_keys(site: str, ah: str) -> tuple[str, str, str]:
    """Return an article's three keys: its counts, its readers, its history."""
    tag = _article_tag(site, ah)
    return article_key(site, ah), f"{PREFIX}:r:{tag}", f"{PREFIX}:h:{tag}"


def article_hash_in(key: str) -> str:
    """Return the article hash in the name of one of an article's keys."""
    return key[key.rindex("|") + 1 : key.rindex("}")]


def cap_key(site: str, ah: str, day: str) -> str:
    """Return the hash of the new reactions each address added to an article on a day."""
    return f"{PREFIX}:x:{_article_tag(site, ah)}:{day}"


def result_key(site: str, ah: str, op: str) -> str:
    """Return the key that keeps one reaction call's result for a minute."""
    return f"{PREFIX}:o:{_article_tag(site, ah)}:{op}"


def window_key(name: str) -> str:
    """Return the key of a rate-limit window that flask-limiter would name ``name``."""
    return f"{RATE_LIMIT_PREFIX}:{name}"


def address_window_id(address: str) -> str:
    """Return the rate-limit identity of an address hash: its windows share one slot."""
    return f"a:{{{address}}}"


def article_window_id(address: str, site: str, ah: str) -> str:
    """Return the rate-limit identity of an address hash on one article, in its slot."""
    # ":" before the tag: the site's sweep (site_keys_pattern) takes the window too.
    return f"a:{address}:{_article_tag(site, ah)}"


def session_key(site: str, session_id: str) -> str:
    """Return the key of a live dashboard session (a digest of its id, in the site's slot)."""
    digest = hashlib.sha256(session_id.encode()).hexdigest()[:32]
    return f"{PREFIX}:ds:{{{site}}}:{digest}"


def key_sessions_key(site: str, key_name: str) -> str:
    """Return the set of the dashboard sessions signed in with one of a site's keys."""
    return site_key(site, f"sessions:{key_name}")


def site_key(site: str, name: str) -> str:
    """Return one of a site's keys (its indexes, counts, day series), all in one slot."""
    return f"{PREFIX}:s:{{{site}}}:{name}"


def index_key(site: str, sort: str) -> str:
    """Return the zset that orders a site's articles by total, recency or a reaction."""
    return site_key(site, sort if sort in {"total", "recent"} else f"by:{sort}")


def day_rank_key(site: str, day: str, sort: str) -> str:
    """Return the zset that ranks a site's articles by one day's net change of ``sort``."""
    return site_key(site, f"day:{day}:{sort}")


def top_key(site: str, sort: str, days: int, today: str) -> str:
    """Return the zset that keeps, for a while, the sum of ``days`` day rankings to today."""
    return site_key(site, f"top:{sort}:{days}:{today}")


def top_budget_key(site: str) -> str:
    """Return the count of a site's top-list sums made in the current minute."""
    return site_key(site, "top-sums")


def marker_key(site: str, op: str) -> str:
    """Return the key that says one call's site-index update was applied (for a minute)."""
    return site_key(site, f"o:{op}")


def site_keys_pattern(site: str) -> str:
    """Return the SCAN pattern of every key of a site's data: its articles and its slot."""
    # An article's tag is "{<site>|<ah>}", the site slot's "{<site>}"; the class [|}] keeps
    # the keys of a site "demo2" out of the pattern of "demo".
    return f"{PREFIX}:*:{{{site}[|}}]*"


def is_call_record(key: str) -> bool:
    """Say whether a key is a call's result or marker, which lives a minute."""
    return key.startswith(f"{PREFIX}:o:") or ":o:" in key


def new_articles_key(site: str, day: str) -> str:
    """Return the hash of the new articles each address started on a site on a day."""
    return site_key(site, f"new:{day}")


def site_record_key(site: str) -> str:
    """Return the key of a site's settings."""
    return f"{PREFIX}:{SITES_TAG}:site:{site}"


def all_sites_key() -> str:
    """Return the set of every site id."""
    return f"{PREFIX}:{SITES_TAG}:all"


def title_member(title: str, ah: str) -> str:
    """Return an article's member of its site's title index: sorts by title, then hash."""
    return f"{title.casefold()[:TITLE_SORT_CHARS]}\0{ah}"


WEBHOOKS_TAG = "{webhooks}"
EVENTS_STREAM = f"{PREFIX}:{WEBHOOKS_TAG}:events"
DUE_DELIVERIES = f"{PREFIX}:{WEBHOOKS_TAG}:due"
WEBHOOK_SITES = f"{PREFIX}:{WEBHOOKS_TAG}:sites"


def webhooks_key(site: str) -> str:
    """Return the hash of a site's webhooks (id -> record), in the site's slot."""
    return site_key(site, "webhooks")


def delivery_key(delivery: str) -> str:
    """Return the hash of one webhook delivery."""
    return f"{PREFIX}:{WEBHOOKS_TAG}:d:{delivery}"


def delivery_log_key(hook: str) -> str:
    """Return the zset of a webhook's last deliveries, by when each was made."""
    return f"{PREFIX}:{WEBHOOKS_TAG}:log:{hook}"


def digest_key(site: str, day: str) -> str:
    """Return the key that says a site's digest of a day is queued."""
    return f"{PREFIX}:{WEBHOOKS_TAG}:digest:{site}:{day}"


def member_hash(member: str) -> str:
    """Return the article hash at the end of a title index member."""
    return member.rpartition("\0")[2]


def aliases_key(site: str, ah: str) -> str:
    """Return the list of the ids moved into an article (moves.py), oldest first."""
    return f"{PREFIX}:m:{_article_tag(site, ah)}"


def move_result_key(site: str, ah: str, op: str) -> str:
    """Return the key that keeps one move's merge into an article (in its slot) for a day."""
    return f"{PREFIX}:mv:{_article_tag(site, ah)}:{op}"


def moved_window(window_key: str, site: str, ah: str, to_ah: str) -> str:
    """Return a rate-limit window's key with an article's tag turned into another's."""
    return window_key.replace(_article_tag(site, ah), _article_tag(site, to_ah))
