"""The publisher's dashboard: server-rendered pages behind a signed session cookie.

``blueprint.py`` makes the blueprint (its threat model and security headers);
``views.py`` (sign-in, overview, articles, export, reset), ``settings_views.py``,
``article_views.py`` and ``top_views.py`` (the Top page) attach their pages to it;
``session.py`` is the signed cookie naming a server-side session, ``charts.py`` draws SVG.
"""

from __future__ import annotations

from . import article_views, settings_views, top_views, views  # noqa: F401  (their routes attach to bp)
from .blueprint import bp

__all__ = ["bp"]
