"""Invisible characters made visible: how the dashboard shows ids and titles readers sent.

An article id or title may hold characters of Unicode category Cf (format): zero-width
spaces and joiners, bidirectional controls (U+202A-U+202E, U+2066-U+2069), a byte-order
mark, tags. They draw nothing, or reorder what follows, so "news\\u200b" would show as the
same row as "news", and a right-to-left override could make a row read as another. The
contract allows them in ids (it forbids only Cc), and the article counts under the id it
was sent with, so the dashboard shows each one as a marked box naming its code point
(``<span class="cf">U+200B</span>``), which plain text cannot imitate. Titles keep the
zero-width joiner and non-joiner, which join letters of many scripts and emoji sequences.
"""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape

from .blueprint import bp

JOINERS = frozenset("\u200c\u200d")


@bp.app_template_filter("visible")
def visible(text: str | None, joiners: bool = False) -> Markup:
    """Return the text escaped for HTML, each Cf character shown as a box naming it
    (``joiners``: the zero-width joiner and non-joiner are left as they are)."""
    if text is None:
        return Markup("")
    parts = []
    for char in text:
        if unicodedata.category(char) == "Cf" and not (joiners and char in JOINERS):
            code = f"U+{ord(char):04X}"
            parts.append(
                Markup('<span class="cf" title="invisible character {0}">{0}</span>').format(code)
            )
        else:
            parts.append(escape(char))
    return Markup("").join(parts)


@bp.app_template_filter("visible_text")
def visible_text(text: str | None, joiners: bool = False) -> str:
    """Return the text with each Cf character written as ``[U+200B]``, for a page's title."""
    if text is None:
        return ""
    return "".join(
        f"[U+{ord(c):04X}]"
        if unicodedata.category(c) == "Cf" and not (joiners and c in JOINERS)
        else c
        for c in text
    )
