"""A reader's reaction, written in one Redis call on one Redis and in two trips on a cluster.

Everything one reaction needs (its rate-limit windows, the closing, the no-op, the
ballot-stuffing cap, a new article's admission, the write, the site's indexes) is decided
in Lua, atomically, so a refused request changes nothing but its windows and the refusal
counts. On one Redis that is one script (``lua/reaction.lua``), whose keys span the
article's slot, the site's and the address's.

A cluster runs a script on one slot only, and the three slots may be on three nodes, so
a reaction there takes two trips, each sending to two nodes at once: first the address's
windows (``lua/windows.lua``) beside the article's script in its "plan" mode
(``lua/article.lua``: the per-article window, the closing, the no-op and the cap, and
the reader's old reaction, with nothing written); then the article's script that writes,
beside the site's indexes (``lua/update_site.lua``) moved as the plan foresaw. Should a
race make the write differ from the plan, a third call corrects the site's indexes. A new
article takes the site's admission, then the write, then its indexes: four trips in all.
All of them run the same functions of ``lua/lib/``.

Each call has a random id, so a script that redis-py re-sends after a timeout answers
what its first run did instead of counting twice. A total that reaches one of the site's
``milestones`` for the first time is queued for the webhooks' worker by the same script on
one Redis, by one more call (then only) on a cluster.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any, cast

import redis
from redis.cluster import RedisCluster

from . import keys
from .articles import Admission, ArticleRefused, Articles
from .calls import ReactionCall
from .client import Client, ScriptCall, read_with_script, register_script, run_script, run_scripts
from .events import EVENTS_CAP, add_event
from .indexes import ONCE_TTL_SECONDS, SiteIndexes
from .moves import REDIRECTS, Redirected
from .reactions import CAP_TTL_SECONDS, ArticleClosed, CapReached, Tally, iso, reader_digest
from .results import ReactionResult
from .windows import Window, Windows, in_slot, raise_if_limited, window_args


class ReactionWrites:
    """A reader's reaction: set, switched or withdrawn."""

    def __init__(
        self, client: Client, windows: Windows, indexes: SiteIndexes, articles: Articles
    ) -> None:
        self.client = client
        self.windows = windows
        self.indexes = indexes
        self.articles = articles
        self.reaction_script = register_script(client, "reaction.lua")
        self.article_script = register_script(client, "article.lua")

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
        network: str | None = None,
        network_cap: int = 0,
        closes_before: str = "",
        admission: Admission | None = None,
        windows: Sequence[Window] = (),
        milestones: Sequence[int] = (),
    ) -> Tally:
        """Set (or, with None, withdraw) one reader's reaction and return the new counts.

        A call that changes nothing writes nothing. The ``windows`` are counted first
        (WindowLimited). A reaction that would create the article needs the site's
        ``admission`` (ArticleRefused; with None it is created freely); ``title`` and
        ``url`` are stored only by the call that creates it. With an ``address`` hash and
        a ``cap`` > 0, a reader with no reaction to the article may add one only while
        that address added fewer than ``cap`` today (and its IPv6 ``network`` hash fewer
        than ``network_cap``); otherwise nothing changes, the refusal is counted for the
        site, and CapReached is raised. On an article the
        publisher closed, or whose first reaction is at or before ``closes_before`` (ISO
        8601), nothing changes and ArticleClosed is raised.
        """
        now = time.time() if now is None else now
        ah = keys.article_hash(article)
        day = keys.day_of(now)
        capped = [(address, cap)] if address and cap > 0 else []
        if capped and network and network_cap > 0:
            capped.append((network, network_cap))
        # One id per call: a retry of the same call (by redis-py) is recognised as such.
        op = secrets.token_hex(8)
        call = ReactionCall(
            site=site,
            article=article,
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
                " ".join(str(h) for h, _ in capped),
                " ".join(str(c) for _, c in capped),
                CAP_TTL_SECONDS,
                ONCE_TTL_SECONDS,
                closes_before,
                site,
                ",".join(map(str, milestones)),
                EVENTS_CAP,
                *reaction_keys,
            ],
        )
        if isinstance(self.client, redis.Redis):
            result = self._at_once(call, admission, windows)
        else:
            result = self._on_cluster(call, admission, windows)
        answer = ReactionResult(int(result[0]))
        if answer in REDIRECTS:  # a moved article: Store.set_reaction follows it (moves.py)
            raise Redirected(result)
        if answer == ReactionResult.ARTICLE_REFUSED:
            raise ArticleRefused(str(result[1]))
        if answer == ReactionResult.ARTICLE_CLOSED:
            raise ArticleClosed(article)
        if answer == ReactionResult.CAP_REACHED:
            raise CapReached(article)
        counted = result[3 : 3 + len(reaction_keys)]
        if len(result) > 3 + len(reaction_keys) and not isinstance(self.client, redis.Redis):
            add_event(self.client, "article.milestone", site, call.args[3], result[-1])
        counts = dict(zip(reaction_keys, (int(c) for c in counted), strict=True))
        return Tally(counts=counts, mine=reaction)

    def _at_once(
        self, call: ReactionCall, admission: Admission | None, windows: Sequence[Window]
    ) -> list[Any]:
        result: list[Any] = read_with_script(
            self.client,
            self.reaction_script,
            call.one_redis_keys(windows),
            [
                "" if admission else "1",
                admission.refusal if admission else "",
                admission.most if admission else 0,
                *(admission.budgets() if admission else ("", "")),
                call.member,
                int(call.now),
                call.ah,
                len(windows),
                *window_args(windows),
                *call.args,
            ],
        )[0]
        if int(result[0]) == ReactionResult.WINDOW_LIMITED:
            raise_if_limited(result, windows)
        return result

    def _on_cluster(
        self, call: ReactionCall, admission: Admission | None, windows: Sequence[Window]
    ) -> list[Any]:
        # First trip, to two nodes at once: the address's windows, and the article's
        # script that counts its own windows and makes every check but writes nothing.
        here = in_slot(windows, call.article_keys[0])
        there = [w for w in windows if w not in here]
        plan_call: ScriptCall = (
            self.article_script,
            [*call.article_keys, *(w.key for w in here)],
            [
                "plan",
                admission.refusal if admission else "",
                len(here),
                *window_args(here),
                *call.args,
            ],
        )
        runs = self.windows.runs(there)  # the address's windows share one slot
        counted = [self.windows.call(run) for run in runs]
        replies = run_scripts(cast(RedisCluster, self.client), [*counted, plan_call])
        plan: list[Any] = replies[-1]
        refused = [(run, reply) for run, reply in zip(runs, replies, strict=False) if reply]
        if int(plan[0]) == ReactionResult.WINDOW_LIMITED:
            refused.append((here, plan))
        if refused:  # the first window over, in the request's order, answers
            run, reply = min(refused, key=lambda r: windows.index(r[0][int(r[1][-3]) - 1]))
            raise_if_limited(reply, run)
        planned = ReactionResult(int(plan[0]))
        if planned == ReactionResult.PLANNED:
            return self._write(call, plan[1] or None, admission)
        if planned == ReactionResult.NEEDS_ADMISSION:
            return self._create(call, admission)
        if planned == ReactionResult.CAP_REACHED:
            self.client.hincrby(keys.site_key(call.site, "refused"), call.day, 1)
        elif planned == ReactionResult.ARTICLE_REFUSED:  # the signature, decided before
            self.client.hincrby(keys.site_key(call.site, "refused"), f"{call.day}:{plan[1]}", 1)
        return plan

    def _write(self, call: ReactionCall, old: str | None, admission: Admission | None) -> list[Any]:
        # Second trip, to two nodes at once: the write, and the site's indexes moved as the
        # first trip foresaw. Only a race (the same reader's other request, a publisher's
        # close, reset or move in between) makes the write differ; a third call then moves the
        # site's indexes from what they were told to what was done.
        write: ScriptCall = (self.article_script, call.article_keys, ["", "", 0, *call.args])
        article = call.article
        site = self.indexes.update_call(
            call.site, call.ah, old, call.reaction, call.now, call.day, call.op, article=article
        )
        result: list[Any] = run_scripts(cast(RedisCluster, self.client), [write, site])[0]
        written = ReactionResult(int(result[0]))
        done = (result[1] or None) if written == ReactionResult.CHANGED else call.reaction
        if done != old:
            fix = f"{call.op}-fix"
            run_script(
                self.indexes.update_call(
                    call.site, call.ah, done, old, call.now, call.day, fix, article=article
                )
            )
        if written == ReactionResult.NEEDS_ADMISSION:
            # Deleted in between (a reset): it is in no index now, the moves undone above
            # included, and the reaction makes it anew.
            self.indexes.remove_article(call.site, call.ah, {}, call.day, call.reaction_keys)
            return self._create(call, admission, f"{call.op}-new")
        if written == ReactionResult.CAP_REACHED:
            self.client.hincrby(keys.site_key(call.site, "refused"), call.day, 1)
        return result

    def _create(self, call: ReactionCall, admission: Admission | None, op: str = "") -> list[Any]:
        # A new article: the site admits it, then the article's script writes (its windows
        # were counted by the first trip), then the site's indexes take it in (once for
        # the id ``op``, the call's unless its indexes were moved under it already).
        if admission is not None:  # a refusal decided before: found new only now (a reset)
            self.articles.admit(call.site, call.day, admission)
        result: list[Any] = self.article_script(
            keys=call.article_keys, args=["1", "", 0, *call.args]
        )
        created = ReactionResult(int(result[0]))
        if created == ReactionResult.CAP_REACHED:
            self.client.hincrby(keys.site_key(call.site, "refused"), call.day, 1)
        elif created == ReactionResult.CHANGED:
            fresh = int(result[2]) == 1
            run_script(
                self.indexes.update_call(
                    call.site,
                    call.ah,
                    result[1] or None,
                    call.reaction,
                    call.now,
                    call.day,
                    op or call.op,
                    call.reaction_keys if fresh else (),
                    call.member if fresh else "",
                    article=call.article,
                )
            )
        return result
