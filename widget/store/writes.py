"""A reader's reaction, written in one Redis call on one Redis and in three on a cluster.

Everything one reaction needs (its rate-limit windows, the closing, the no-op, the
ballot-stuffing cap, a new article's admission, the write, the site's indexes) is decided
in Lua, atomically, so a refused request changes nothing but its windows and the refusal
counts. On one Redis that is one script (``lua/reaction.lua``), whose keys span the
article's slot, the site's and the address's. A cluster runs a script on one slot only,
so there it is: the windows of the address's slot (``lua/windows.lua``); the article's
script (``lua/article.lua``) with the per-article window, the closing, the no-op and the
cap; the site's indexes after a change (``lua/update_site.lua``). A new article on a
cluster costs two more: its admission in the site's slot, and the article script again.
All of them run the same functions of ``lua/lib/``.

Each call has a random id, so a script that redis-py re-sends after a timeout answers
what its first run did instead of counting twice.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from . import keys
from .articles import ArticleRefused, Articles
from .indexes import ONCE_TTL_SECONDS
from .reactions import CAP_TTL_SECONDS, ArticleClosed, CapReached, Tally, iso, reader_digest
from .windows import Window, Windows, in_slot, raise_if_limited, window_args


@dataclass(frozen=True)
class Admission:
    """What a new article needs from its site; ``refusal`` (decided before) refuses it."""

    most: int  # the site's ceiling of articles (0: none)
    budget: int  # new articles one address may start a day (0: none)
    address: str | None  # the address hash the budget counts
    refusal: str = ""  # "signature_required" or "invalid_signature", or "" (checked, fine)


class ReactionWrites(Articles, Windows):
    """A reader's reaction: set, switched or withdrawn."""

    def set_reaction(
        self,
        site: str,
        article: str,
        reader: str,
        reaction: str | None,
        reaction_keys: Sequence[str],
        *,
        title: str | None = None,
        url: str | None = None,
        now: float | None = None,
        address: str | None = None,
        cap: int = 0,
        closes_before: str = "",
        admission: Admission | None = None,
        windows: Sequence[Window] = (),
    ) -> Tally:
        """Set (or, with None, withdraw) one reader's reaction and return the new counts.

        A call that changes nothing writes nothing. The ``windows`` are counted first
        (WindowLimited). A reaction that would create the article needs the site's
        ``admission`` (ArticleRefused; with None it is created freely); ``title`` and
        ``url`` are stored only by the call that creates it. With an ``address`` hash and
        a ``cap`` > 0, a reader with no reaction to the article may add one only while
        that address added fewer than ``cap`` today; otherwise nothing changes, the
        refusal is counted for the site, and CapReached is raised. On an article the
        publisher closed, or whose first reaction is at or before ``closes_before`` (ISO
        8601), nothing changes and ArticleClosed is raised.
        """
        now = time.time() if now is None else now
        ah = keys.article_hash(article)
        day = keys.day_of(now)
        capped = bool(address) and cap > 0
        # One id per call: a retry of the same call (by redis-py) is recognised as such.
        op = secrets.token_hex(8)
        call = _Call(
            site=site,
            ah=ah,
            day=day,
            now=now,
            op=op,
            reaction=reaction,
            reaction_keys=reaction_keys,
            member=keys.title_member(title or article, ah),
            article_keys=[
                *keys.article_keys(site, ah),
                keys.cap_key(site, ah, day),
                keys.result_key(site, ah, op),
            ],
            args=[
                reader_digest(reader),
                reaction or "",
                day,
                iso(now),
                article,
                title or "",
                url or "",
                (address or "") if capped else "",
                cap,
                CAP_TTL_SECONDS,
                ONCE_TTL_SECONDS,
                closes_before,
                *reaction_keys,
            ],
        )
        if isinstance(self.client, redis.Redis):
            result = self._at_once(call, admission, windows)
        else:
            result = self._on_cluster(call, admission, windows)
        changed = int(result[0])
        if changed == -4:
            raise ArticleRefused(str(result[1]))
        if changed == -3:
            raise ArticleClosed(article)
        if changed == -1:
            raise CapReached(article)
        counts = dict(zip(reaction_keys, (int(c) for c in result[3:]), strict=True))
        return Tally(counts=counts, mine=reaction)

    def _at_once(
        self, call: _Call, admission: Admission | None, windows: Sequence[Window]
    ) -> list[Any]:
        site, day = call.site, call.day
        result: list[Any] = self.reaction_script(
            keys=[
                *call.article_keys,
                keys.marker_key(site, call.op),
                keys.index_key(site, "total"),
                keys.site_key(site, "counts"),
                keys.site_key(site, "days"),
                keys.index_key(site, "recent"),
                keys.site_key(site, "titles"),
                keys.site_key(site, "title-of"),
                keys.new_articles_key(site, day),
                keys.site_key(site, "refused"),
                *(keys.index_key(site, key) for key in call.reaction_keys),
                *(w.key for w in windows),
            ],
            args=[
                "" if admission else "1",
                admission.refusal if admission else "",
                admission.most if admission else 0,
                admission.budget if admission else 0,
                (admission.address or "") if admission else "",
                call.member,
                int(call.now),
                call.ah,
                len(windows),
                *window_args(windows),
                *call.args,
            ],
        )
        if int(result[0]) == -5:
            raise_if_limited(result, windows)
        return result

    def _on_cluster(
        self, call: _Call, admission: Admission | None, windows: Sequence[Window]
    ) -> list[Any]:
        # The address's windows first (another slot), then the article's in its script.
        here = in_slot(windows, call.article_keys[0])
        self.hit_windows([w for w in windows if w not in here])
        result: list[Any] = self.article_script(
            keys=[*call.article_keys, *(w.key for w in here)],
            args=[
                "" if admission else "1",
                admission.refusal if admission else "",
                len(here),
                *window_args(here),
                *call.args,
            ],
        )
        changed = int(result[0])
        if changed == -5:
            raise_if_limited(result, here)
        if changed == -2 and admission is not None:
            self.admit_article(
                call.site,
                call.day,
                most=admission.most,
                budget=admission.budget,
                address=admission.address,
            )
            result = self.article_script(keys=call.article_keys, args=["1", "", 0, *call.args])
            changed = int(result[0])
        if changed == -1:
            self.client.hincrby(keys.site_key(call.site, "refused"), call.day, 1)
        elif changed == 1:
            fresh = int(result[2]) == 1
            self._update_site_indexes(
                call.site,
                call.ah,
                result[1] or None,
                call.reaction,
                call.now,
                call.day,
                call.op,
                call.reaction_keys if fresh else (),
                call.member if fresh else "",
            )
        return result


@dataclass(frozen=True)
class _Call:
    """One reaction call's names and arguments, shared by both ways of running it."""

    site: str
    ah: str
    day: str
    now: float
    op: str
    reaction: str | None
    reaction_keys: Sequence[str]
    member: str
    article_keys: list[str]
    args: list[Any]
