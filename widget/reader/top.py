"""The top list: a site's articles with the most of one reaction (or of all) over 1-30 days.

``GET /v1/sites/{site}/top`` is public like the counts GET, under the same threat model
(``api.py``): CORS for the site's allowed origins, the same read limit (counted in one
call after the view, its own windows), ``public`` caching. What it shows is the
publisher's, never a reader's: an article's title and URL as the service holds them
(a reader's only from the request that first counted a reaction, under the site's rules;
a URL only when it is http(s)), and only articles that have a title. The visibility
policy applies to the list as a whole: ``threshold`` lists only articles whose total has
reached it, ``after_reacting`` and ``publisher_only`` hide the list.

The list comes from the day rankings (``store/top.py``): a page of their sum over the
days, then the records of those articles, enough pages to fill ``MAX_LIMIT`` entries.
The sum of the days is kept in Redis for ``MAX_AGE`` seconds (``store/top.py``), and each
worker keeps the list it computed from it, in memory, as long as the sum lives: no answer
is older than its ``max-age``, a busy list costs one sum a minute for all the workers, and
a full Redis, which takes no write, still answers (the sum is then made for each page).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from ..context import get_store, require_site
from ..errors import ApiError
from ..sites import Site
from ..store import article_hash
from ..store.top import TOTAL, TooManySums, recent_days
from ..validation import bad_request, not_utf8_query
from .api import READS, add_cors_headers
from .limits import fold
from .query import parse_query

bp = Blueprint("reader_top", __name__, url_prefix="/v1/sites/<site_id>/top")
bp.after_request(add_cors_headers)
fold(bp, READS)

MAX_DAYS = 30
MAX_LIMIT = 20
DEFAULTS = {"reaction": TOTAL, "days": "7", "limit": "5"}
MAX_AGE = 60  # seconds; the contract asks for at least 60
CACHE_ENTRIES = 4096  # lists a worker keeps at most (sites x reactions x windows)
# Distinct lists (reaction and days) a site's GETs may have summed a minute: a page shows a
# few, and each sum costs the entries of its days (docs/development.md, "The top list").
SUMS_PER_MINUTE = 30
# While a site's new sums are spent (someone asked for many lists), a worker answers a list
# it made before, up to this many seconds past its max-age, rather than 429: the top-list
# boxes of a site's pages keep their lists through a flood of other lists' requests.
STALE_SECONDS = 600
HIDING_POLICIES = frozenset({"after_reacting", "publisher_only"})


@dataclass(frozen=True)
class TopQuery:
    """What a top list asks for: a reaction key or "total", the days, how many."""

    reaction: str
    days: int
    limit: int


def _bounded(name: str, value: str, most: int) -> int:
    # A length check first: int() of thousands of digits raises (Python's digit limit).
    if not (value.isascii() and value.isdigit() and len(value) <= 2 and 1 <= int(value) <= most):
        raise bad_request(f"{name} must be a whole number from 1 to {most}")
    return int(value)


def check_top_query(site: Site, pairs: list[tuple[str, str]]) -> TopQuery:
    """Return a top list's query, or raise 400 (bad_request, unknown_reaction)."""
    values: dict[str, str] = {}
    for name, value in pairs:
        if name not in DEFAULTS:
            raise bad_request(f"unknown query parameter {name[:64]!r}")
        if name in values:
            raise bad_request(f"give {name} at most once")
        values[name] = value
    values = {**DEFAULTS, **values}
    reaction = values["reaction"]
    if reaction != TOTAL and reaction not in site.active_keys:
        raise ApiError(
            400, "unknown_reaction", f"{reaction[:64]!r} is not a reaction of site {site.id!r}"
        )
    return TopQuery(
        reaction,
        _bounded("days", values["days"], MAX_DAYS),
        _bounded("limit", values["limit"], MAX_LIMIT),
    )


def _compute(
    site: Site, reaction: str, days: list[str], threshold: int
) -> tuple[float, list[dict[str, Any]]]:
    """Return the first MAX_LIMIT entries of a site's list (titled, over the threshold), and
    for how many seconds more they hold (the sum they come from is kept that long)."""
    store = get_store()
    found: list[dict[str, Any]] = []
    start, count = 0, 3 * MAX_LIMIT
    holds = MAX_AGE * 1000
    while len(found) < MAX_LIMIT:
        left, page = store.top.page(
            site.id, reaction, days, start, count, MAX_AGE * 1000, SUMS_PER_MINUTE
        )  # TooManySums: the site's new sums are spent (TopCache.get)
        holds = min(holds, left or holds)
        hashes = [article_hash(article) for article, _ in page]
        records = {
            r.article: r for r in store.articles.records(site.id, hashes, site.reaction_keys)
        }
        for article, net in page:
            record = records.get(article)  # None: reset or moved since
            if record is None or not record.title:
                continue
            if sum(record.counts.get(key, 0) for key in site.active_keys) < threshold:
                continue
            entry: dict[str, Any] = {"article": article, "title": record.title}
            if record.url and record.url.startswith(("https://", "http://")):
                entry["url"] = record.url
            entry["count"] = net
            found.append(entry)
            if len(found) == MAX_LIMIT:
                break
        if len(page) < count:
            break
        start, count = start + count, count * 4
    return holds / 1000, found


class TopCache:
    """A worker's computed lists, each kept MAX_AGE seconds; at most CACHE_ENTRIES of them."""

    def __init__(self) -> None:
        self.lists: dict[tuple[Any, ...], tuple[float, list[dict[str, Any]]]] = {}
        self.lock = threading.Lock()

    def get(self, site: Site, reaction: str, days: int, now: float) -> list[dict[str, Any]]:
        """Return a site's list (MAX_LIMIT entries at most), computed at most MAX_AGE ago."""
        names = recent_days(days, now)
        threshold = site.visibility_threshold if site.visibility == "threshold" else 0
        key = (site.id, reaction, names[-1], days, threshold)
        kept = self.lists.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        try:
            holds, entries = _compute(site, reaction, names, threshold)
        except TooManySums:  # the site's new sums are spent: a list made before, if any
            if kept is not None and kept[0] + STALE_SECONDS >= time.monotonic():
                return kept[1]
            raise ApiError(
                429,
                "rate_limited",
                f"site {site.id!r} has made {SUMS_PER_MINUTE} new top lists this minute: "
                "ask again in a minute",
                {"Retry-After": str(MAX_AGE)},
            ) from None
        with self.lock:
            while len(self.lists) >= CACHE_ENTRIES:
                del self.lists[next(iter(self.lists))]
            self.lists[key] = (time.monotonic() + holds, entries)
        return entries


def top_cache() -> TopCache:
    """Return the app's cache of top lists (made on first use)."""
    cache: TopCache = current_app.extensions.setdefault("reactions.top", TopCache())
    return cache


def top_list(site: Site, query: TopQuery, now: float | None = None) -> dict[str, Any]:
    """Return the top list's answer: the site's policy applied, at most ``limit`` articles."""
    body: dict[str, Any] = {"site": site.id, "reaction": query.reaction, "days": query.days}
    if site.visibility in HIDING_POLICIES:
        return {**body, "hidden": True, "articles": []}
    now = time.time() if now is None else now
    entries = top_cache().get(site, query.reaction, query.days, now)
    return {**body, "articles": entries[: query.limit]}


@bp.get("")
def get_top(site_id: str) -> Response:
    """Return a site's top articles over the last days, as its visibility policy allows."""
    site = g.site = require_site(site_id)
    try:
        pairs = parse_query(request.query_string)
    except UnicodeDecodeError:
        raise not_utf8_query() from None
    query = check_top_query(site, pairs)
    response = jsonify(top_list(site, query))
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest())
    response.make_conditional(request)
    return response
