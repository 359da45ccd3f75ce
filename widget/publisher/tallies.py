"""A site's tallies as publishers read them, shared by the publisher API and the dashboard.

The export and the article object it shares with the API are ``export.py``'s.

Article pages use a keyset cursor: the (score, article hash) of the last entry shown, so
the next page starts right after it however many reactions arrive meanwhile (see
``widget/store/lua/index_after.lua``). Offsets would skip or repeat articles as others move.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..sites import Site
from ..store import TITLE_SORT_CHARS, ArticleRecord, Store, article_hash, day_name, member_hash

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
DEFAULT_DAYS = 30
MAX_DAYS = 365
TOP_COUNT = 5
# A search reads the index in batches until the page is full; this bounds one request's
# work on a big site. A page may then hold fewer matches than asked, with a next_cursor.
SEARCH_BATCH = 500
SEARCH_MAX_SCANNED = 20_000
# Sorts A to Z by title (an article without one, by its id), the only ascending order.
TITLE = "title"
MAX_CURSOR_MEMBER = 4 * TITLE_SORT_CHARS + 24


class CursorError(ValueError):
    """A cursor that this service did not make, or made for another sort."""


def sorts(site: Site) -> tuple[str, ...]:
    """Return every order a site's articles can be listed in: each one is an index."""
    title = () if TITLE in site.reaction_keys else (TITLE,)
    return ("total", "recent", *site.reaction_keys, *title)


def _entries(
    store: Store, site: Site, sort: str, after: tuple[float, str] | None, count: int
) -> list[tuple[str, float, str]]:
    """Return (article hash, cursor score, cursor member) of the index entries after one."""
    if sort == TITLE and TITLE not in site.reaction_keys:
        members = store.indexes.title_page(site.id, after[1] if after else None, count)
        return [(member_hash(m), 0.0, m) for m in members]
    if after is None:
        pairs = store.indexes.page(site.id, sort, 0, count)
    else:
        pairs = store.indexes.after(site.id, sort, after[0], after[1], count)
    return [(ah, score, ah) for ah, score in pairs]


def encode_cursor(sort: str, score: float, member: str) -> str:
    """Return the opaque cursor for the entry (score, member) of an index."""
    raw = json.dumps([sort, score, member], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[float, str]:
    """Return (score, member) of a cursor made for this sort, else raise CursorError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, score, member = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        raise CursorError("the cursor is not one this service made") from None
    if made_for != sort:
        raise CursorError(f"the cursor was made for sort={made_for!r}, not sort={sort!r}")
    # JSON allows NaN, Infinity and whole numbers too big for a float, which Redis cannot
    # order by, and a lone surrogate ("\\ud800"), which cannot be sent to it: 400, not 500.
    if (
        isinstance(score, bool)
        or not isinstance(score, int | float)
        or not isinstance(member, str)
        or not 0 < len(member) <= MAX_CURSOR_MEMBER
    ):
        raise CursorError("the cursor is not one this service made")
    try:
        score = float(score)
        member.encode()
    except (OverflowError, UnicodeEncodeError):
        raise CursorError("the cursor is not one this service made") from None
    if not math.isfinite(score):
        raise CursorError("the cursor is not one this service made")
    return score, member


@dataclass(frozen=True)
class Page:
    """One page of a site's article list."""

    articles: list[ArticleRecord]
    next_cursor: str | None


def _matches(record: ArticleRecord, needle: str) -> bool:
    return needle in record.article.casefold() or needle in (record.title or "").casefold()


def list_articles(
    store: Store,
    site: Site,
    sort: str = "total",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    q: str | None = None,
) -> Page:
    """Return one page of the site's articles in an index's order, optionally searched."""
    after = decode_cursor(cursor, sort) if cursor else None
    needle = q.casefold() if q else None
    found: list[ArticleRecord] = []
    scanned = 0
    while True:
        batch = limit + 1 if needle is None else SEARCH_BATCH
        entries = _entries(store, site, sort, after, batch)
        records = store.articles.records(site.id, [e[0] for e in entries], site.reaction_keys)
        # Match by hash: an article reset since the index read has no record.
        by_hash = {article_hash(r.article): r for r in records}
        for ah, entry_score, entry_member in entries:
            record = by_hash.get(ah)
            if record is not None and (needle is None or _matches(record, needle)):
                if len(found) == limit:
                    assert after is not None  # found is not empty, so one entry was seen
                    return Page(found, encode_cursor(sort, *after))
                found.append(record)
            after = (entry_score, entry_member)
        scanned += len(entries)
        if len(entries) < batch:
            return Page(found, None)
        if needle is not None and scanned >= SEARCH_MAX_SCANNED:
            assert after is not None
            return Page(found, encode_cursor(sort, *after))


def day_range(days: int, today: date | None = None) -> list[date]:
    """Return the last ``days`` UTC days, oldest first, today last."""
    today = today or datetime.now(UTC).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def _days_json(series: dict[str, dict[str, int]], days: Sequence[date]) -> list[dict[str, Any]]:
    return [{"date": day.isoformat(), "counts": series[day_name(day)]} for day in days]


def summary(store: Store, site: Site, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """Return the site's totals, its per-day net changes and its top articles per reaction.

    ``refused`` counts the new reactions the per-address cap turned away (ballot stuffing
    kept out of the counts), over the range and on each day; ``refused_articles`` the new
    articles that the site's ceiling and the per-address budget turned away.
    """
    keys = site.reaction_keys
    counts = store.indexes.counts(site.id, keys)
    span = day_range(days)
    day_keys = [day_name(d) for d in span]
    series = store.indexes.days(site.id, day_keys, keys)
    refused = store.indexes.refused_days(site.id, day_keys)
    leaders = {
        key: [m for m, s in store.indexes.page(site.id, key, 0, TOP_COUNT) if s > 0] for key in keys
    }
    # One trip for the records of every reaction's leaders (an article may lead several).
    wanted = list(dict.fromkeys(ah for hashes in leaders.values() for ah in hashes))
    records = store.articles.records(site.id, wanted, keys)
    by_hash = {article_hash(r.article): r for r in records}
    top = {
        key: [
            {"article": r.article, "title": r.title, "count": r.counts[key]}
            for r in (by_hash.get(ah) for ah in hashes)
            if r is not None
        ]
        for key, hashes in leaders.items()
    }
    return {
        "site": site.id,
        "articles": store.indexes.article_count(site.id),
        "counts": counts,
        "total": sum(counts.values()),
        "refused": sum(refused.values()),
        "refused_articles": store.articles.refused(site.id, day_keys),
        "days": [
            day | {"refused": refused[key]}
            for day, key in zip(_days_json(series, span), day_keys, strict=True)
        ],
        "top": top,
    }


def history(store: Store, site: Site, article: str, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """Return an article's net change of each count on each day of the range."""
    span = day_range(days)
    series = store.articles.days(site.id, article, [day_name(d) for d in span], site.reaction_keys)
    return {"article": article, "days": _days_json(series, span)}
