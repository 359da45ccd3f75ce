"""Moving and merging articles: ``from`` goes into ``to`` and becomes its alias.

A move to an article with no counts carries everything; onto one with counts it merges,
each reader counting once (``lua/lib/move.lua`` says how, step by step). ``from`` keeps
one field, ``alias``: every reaction script answers MOVED for it (``set_reaction.lua``),
before it counts anything; ``writes.py`` raises Redirected, and ``Store.set_reaction``
(``following``) sends the call again on the article it names, its per-article window and
cap included (``follow``). A normal
article pays nothing for this: the field is read by the HMGET the script made anyway,
and the counts read asks for an alias's article only when one of its ids is an alias.

On one Redis a move is one script (``lua/move_article.lua``): no reaction comes between
its steps. On a cluster the two articles and the site's indexes may be on three nodes,
so it runs in steps (``lua/move_step.lua``), and ``from`` is marked "moving" first:

1. ``from``'s slot: mark it moving to ``to`` and read all of it, atomically. From then on
   its reactions answer MOVING, change nothing, and are sent again a moment later;
   nothing of ``from`` can change while it is copied.
2. ``to``'s slot: merge what was read, atomically against ``to``'s own reactions.
3. ``from``'s slot: it becomes the alias: the waiting reactions now go to ``to``, once.
4. The aliases of ``from`` now name ``to``; the site's indexes move by deltas.

A reaction on ``from`` whose checks passed before the mark but whose write comes after
it is refused by the write (MOVING) and sent again; the index update sent beside that
write is undone by ``writes.py`` as for any race, and a late one for an article that left
the indexes moves only the site's totals (``lua/update_site.lua``, the site's ``moved``
hash). A move interrupted after step 1 leaves ``from`` refusing (its reactions end in
503 after a few seconds) until the same move is run again: each step is done once per
move (its op), so running it again finishes it.
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import redis

from . import keys
from .client import Client, register_script
from .indexes import SiteIndexes
from .results import ReactionResult
from .windows import Window, in_slot

REDIRECTS = frozenset({ReactionResult.MOVED, ReactionResult.MOVING})
# How often one reaction may be sent again: an alias's one hop (two while a cluster's
# move re-points older aliases), or a wait for a cluster's move to end (about 2 s).
MAX_HOPS = 100
MOVING_WAIT_SECONDS = 0.02
MARKER_TTL_SECONDS = 86400


class MoveRefused(Exception):
    """A move the site's state does not allow; ``code`` is the API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Moved:
    """What a move did: the article ``to`` resolved to, and its counts before and after."""

    source: str
    article: str
    before: dict[str, int]
    after: dict[str, int]
    source_counts: dict[str, int]
    merged: bool  # ``to`` had counts before


class Redirected(Exception):
    """A reaction script answered MOVED or MOVING: ``result`` is its answer."""

    def __init__(self, result: Sequence[Any]) -> None:
        super().__init__(result[0])
        self.result = result


F = TypeVar("F", bound=Callable[..., Any])


def following(client: Client, set_reaction: F) -> F:
    """Return ``set_reaction`` (writes.py's) sending a call again where a move leads."""

    def call(
        site: str, article: str, reader: str, reaction: str | None,
        reaction_keys: Sequence[str], **options: Any,
    ) -> Any:  # fmt: skip
        hops = 0
        while True:
            try:
                return set_reaction(site, article, reader, reaction, reaction_keys, **options)
            except Redirected as moved:
                windows = options.get("windows", ())
                article, options["windows"] = follow(
                    client, site, article, moved.result, windows, hops
                )
                hops += 1

    return cast(F, functools.update_wrapper(call, set_reaction))


def follow(
    client: Client, site: str, article: str, result: Sequence[Any], windows: Sequence[Window],
    hops: int,
) -> tuple[str, list[Window]]:  # fmt: skip
    """Return the article a reaction goes to again, and the windows it still has to count.

    The answer MOVED names the article; MOVING (a cluster's move under way) asks to wait a
    moment. Nothing was counted in the refused call's slot; on a cluster the address's
    windows were counted beside it, in the first trip, and are not counted again.
    """
    if hops >= MAX_HOPS:
        raise redis.exceptions.TryAgainError(f"article {article[:64]!r} is being moved")
    ah = keys.article_hash(article)
    if not isinstance(client, redis.Redis):
        windows = in_slot(windows, keys.article_key(site, ah))
    if ReactionResult(int(result[0])) == ReactionResult.MOVING:
        time.sleep(MOVING_WAIT_SECONDS)
        return article, list(windows)
    target = str(result[1])
    to_ah = keys.article_hash(target)
    moved = [
        Window(keys.moved_window(w.key, site, ah, to_ah), w.amount, w.seconds, w.limit)
        for w in windows
    ]
    return target, moved


class Moves:
    """Moves of a site's articles, their aliases, and resolving an id to its article."""

    def __init__(self, client: Client, indexes: SiteIndexes) -> None:
        self.client = client
        self.indexes = indexes
        self.move_script = register_script(client, "move_article.lua")
        self.step_script = register_script(client, "move_step.lua")

    def resolve(self, site: str, article: str) -> str | None:
        """Return the id an alias names, or None when ``article`` is no alias."""
        alias = self.client.hget(keys.article_key(site, keys.article_hash(article)), "alias")
        return None if alias is None else str(alias)

    def states(self, site: str, articles: Sequence[str]) -> dict[str, tuple[bool, str | None]]:
        """Return, for each id, whether it has counts and the id it names if it is an alias."""
        found: dict[str, tuple[bool, str | None]] = {}
        for start in range(0, len(articles), 1000):
            batch = articles[start : start + 1000]
            pipe = self.client.pipeline(transaction=False)
            for article in batch:
                pipe.hmget(keys.article_key(site, keys.article_hash(article)), ["id", "alias"])
            for article, (has_id, alias) in zip(batch, pipe.execute(), strict=True):
                found[article] = (has_id is not None, alias)
        return found

    def aliases(self, site: str, article: str) -> list[str]:
        """Return the ids moved into an article, oldest first."""
        key = keys.aliases_key(site, keys.article_hash(article))
        return [str(alias) for alias in self.client.lrange(key, 0, -1)]

    def delete_alias(self, site: str, alias: str) -> str | None:
        """Make an alias an id of its own again (empty); return what it named, or None."""
        target = self.resolve(site, alias)
        if target is None:
            return None
        ah = keys.article_hash(alias)
        self.client.lrem(keys.aliases_key(site, keys.article_hash(target)), 0, alias)
        self.client.hdel(keys.site_key(site, "moved"), ah)
        self.client.delete(keys.article_key(site, ah))
        return target

    def move(self, site: str, source: str, target: str, reaction_keys: Sequence[str]) -> Moved:
        """Move ``source`` to ``target`` (merging when it has counts), or raise MoveRefused."""
        if source == target:
            raise MoveRefused("bad_request", "from and to are the same article")
        for _ in range(5):  # a race with another move of `to` or of from's aliases: again
            resolved, hops = target, 0
            while (named := self.resolve(site, resolved)) is not None and hops < 3:
                resolved, hops = named, hops + 1  # a second hop only mid-move on a cluster
            if resolved == source:
                raise MoveRefused("conflict", f"{target[:64]!r} is an alias of {source[:64]!r}")
            if isinstance(self.client, redis.Redis):
                answer = self._at_once(site, source, resolved, reaction_keys)
            else:
                answer = self._in_steps(site, source, resolved, reaction_keys)
            if answer is not None:
                self._move_rankings(site, answer, reaction_keys)
                return answer
        raise MoveRefused("conflict", f"{target[:64]!r} kept changing; try again")

    def _move_rankings(self, site: str, moved: Moved, reaction_keys: Sequence[str]) -> None:
        """Move the top list's day rankings of ``source`` onto ``to``, with the merge-day
        correction (the readers counted once), as the site's days take it."""
        now = time.time()
        self.indexes.top.move(site, moved.source, moved.article, reaction_keys, now)
        correction = {
            r: moved.after.get(r, 0) - moved.before.get(r, 0) - n
            for r, n in moved.source_counts.items()
        }
        self.indexes.top.correct(site, moved.article, correction, now)

    def _names(self, site: str, source: str, target: str) -> tuple[list[str], list[str], str]:
        ah_from, ah_to = keys.article_hash(source), keys.article_hash(target)
        from_keys = [*keys.article_keys(site, ah_from), keys.aliases_key(site, ah_from)]
        to_keys = [*keys.article_keys(site, ah_to), keys.aliases_key(site, ah_to)]
        return from_keys, to_keys, keys.day_of(time.time())

    def _site_keys(self, site: str, op: str, reaction_keys: Sequence[str]) -> list[str]:
        names = ("total", "recent", "counts", "days", "titles", "title-of", "moved")
        return [
            *(keys.site_key(site, name) for name in names),
            keys.marker_key(site, f"mv-{op}"),
            *(keys.index_key(site, r) for r in reaction_keys),
        ]

    def _at_once(
        self, site: str, source: str, target: str, reaction_keys: Sequence[str]
    ) -> Moved | None:
        from_keys, to_keys, day = self._names(site, source, target)
        op = secrets.token_hex(8)
        ah_from, ah_to = keys.article_hash(source), keys.article_hash(target)
        aliases = self.aliases(site, source)
        reply = self.move_script(
            keys=[
                *from_keys,
                *to_keys,
                keys.move_result_key(site, ah_to, op),
                *self._site_keys(site, op, reaction_keys),
                *(keys.article_key(site, keys.article_hash(a)) for a in aliases),
            ],
            args=[
                target, day, keys.title_member(target, ah_to), MARKER_TTL_SECONDS,
                ah_from, ah_to, op, len(reaction_keys), *reaction_keys, *aliases,
            ],
        )  # fmt: skip
        if reply[0] in {"retry", "conflict"}:
            return None
        _refuse(str(reply[0]), source)
        counts = self._read_counts(json.loads(reply[1]))
        return Moved(source, target, *counts)

    def _in_steps(
        self, site: str, source: str, target: str, reaction_keys: Sequence[str]
    ) -> Moved | None:
        from_keys, to_keys, day = self._names(site, source, target)
        ah_from, ah_to = keys.article_hash(source), keys.article_hash(target)
        read = self.step_script(keys=from_keys, args=["read", target, secrets.token_hex(8)])
        _refuse(str(read[0]), source)
        data = json.loads(read[1])
        op = str(data["op"])
        to_keys.append(keys.move_result_key(site, ah_to, op))
        merge = self.step_script(keys=to_keys, args=["merge", target, day, read[1]])
        if merge[0] != "ok":  # `to` became an alias, or is moving itself: give up, again
            self.step_script(keys=from_keys[:1], args=["unmark", target])
            return None
        self.step_script(keys=from_keys, args=["finish", target])
        for alias in data["aliases"]:
            alias_key = keys.article_key(site, keys.article_hash(alias))
            self.step_script(keys=[alias_key], args=["realias", source, target])
        self.step_script(
            keys=self._site_keys(site, op, reaction_keys),
            args=[
                "site", merge[1], ah_from, ah_to, day, keys.title_member(target, ah_to),
                MARKER_TTL_SECONDS, *reaction_keys,
            ],
        )  # fmt: skip
        return Moved(source, target, *self._read_counts(json.loads(merge[1])))

    @staticmethod
    def _read_counts(
        merged: dict[str, Any],
    ) -> tuple[dict[str, int], dict[str, int], dict[str, int], bool]:
        def counts(name: str) -> dict[str, int]:
            value = merged.get(name) or {}  # cjson writes an empty table as {}
            return {str(k): int(v) for k, v in value.items()}

        before, after = counts("before"), counts("after")
        return before, after, counts("source"), not merged.get("fresh")


def _refuse(why: str, source: str) -> None:
    """Raise the MoveRefused that a step's answer ``why`` means ("ok": none)."""
    if why == "ok":
        return
    if why == "unknown":
        raise MoveRefused("not_found", f"nobody reacted to {source[:64]!r} yet")
    if why == "alias":
        raise MoveRefused("conflict", f"{source[:64]!r} was moved already: it is an alias")
    if why == "moving":
        raise MoveRefused("conflict", f"{source[:64]!r} is being moved to another article")
    raise MoveRefused("conflict", f"the move of {source[:64]!r} was refused ({why})")
