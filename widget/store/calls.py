"""One reaction call's names and arguments, shared by both ways of running it (writes.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import keys
from .windows import Window


@dataclass(frozen=True)
class ReactionCall:
    """One reaction call's names and arguments, shared by both ways of running it."""

    site: str
    article: str
    ah: str
    day: str
    now: float
    op: str
    reaction: str | None
    reaction_keys: Sequence[str]
    member: str
    article_keys: list[str]
    args: list[Any]

    def one_redis_keys(self, windows: Sequence[Window]) -> list[str]:
        """Return the KEYS of reaction.lua, the whole call on one Redis, in its order."""
        site, day = self.site, self.day
        return [
            *self.article_keys,
            keys.marker_key(site, self.op),
            keys.index_key(site, "total"),
            keys.site_key(site, "counts"),
            keys.site_key(site, "days"),
            keys.index_key(site, "recent"),
            keys.site_key(site, "titles"),
            keys.site_key(site, "title-of"),
            keys.new_articles_key(site, day),
            keys.site_key(site, "refused"),
            *(keys.index_key(site, key) for key in self.reaction_keys),
            *(w.key for w in windows),
            keys.day_rank_key(site, day, "total"),
            *(keys.day_rank_key(site, day, key) for key in self.reaction_keys),
            keys.EVENTS_STREAM,
        ]
