"""The publisher's dashboard: server-rendered pages behind a signed session cookie.

``blueprint.py`` makes the blueprint (its threat model and security headers);
``views.py`` (sign-in, overview, articles, export, reset), ``settings_views.py``,
``article_views.py``, ``activity_views.py``, ``keys_views.py``, ``top_views.py`` (the Top
page) and ``webhook_views.py`` attach their pages to it; ``session.py`` is the signed
cookie naming a server-side session, ``charts.py`` draws SVG, ``visible.py`` shows
invisible characters.
"""

from __future__ import annotations

from . import (  # noqa: F401  (their routes attach to bp)
    activity_views,
    article_views,
    keys_views,
    settings_views,
    top_views,
    views,
    visible,
    webhook_views,
)
from .blueprint import bp

__all__ = ["bp"]
