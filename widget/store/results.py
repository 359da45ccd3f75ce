"""What a reaction's scripts answer, by name.

``lua/lib/set_reaction.lua`` declares the numbers in its ``RESULT`` table, and the scripts
around it (``reaction.lua``, ``article.lua``) answer with them; ``writes.py`` dispatches on
these names. ``tests/test_store_results.py`` holds the two declarations equal.
"""

from __future__ import annotations

from enum import IntEnum


class ReactionResult(IntEnum):
    """The first number of a reaction script's answer."""

    CHANGED = 1  # written: the counts follow
    UNCHANGED = 0  # the same reaction again, or a withdrawal of none: nothing to write
    CAP_REACHED = -1  # the address's cap of new reactions to the article refused it
    NEEDS_ADMISSION = -2  # it would create the article, and the call could not admit it
    ARTICLE_CLOSED = -3  # voting on the article is closed
    ARTICLE_REFUSED = -4  # the site refused the new article: {ARTICLE_REFUSED, code}
    WINDOW_LIMITED = -5  # a rate-limit window refused: {WINDOW_LIMITED, window, TTL, count}
    PLANNED = -6  # a cluster's first trip: every check passed, nothing written: {PLANNED, old}
    MOVED = -7  # the id is an alias (moves.py): {MOVED, the id it names}
    MOVING = -8  # a cluster's move of the article is under way: {MOVING}, try again
