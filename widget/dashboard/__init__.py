"""The publisher's dashboard: server-rendered pages behind a signed session cookie.

``blueprint.py`` makes the blueprint (its threat model and security headers);
``views.py`` (sign-in, overview, articles, export, reset), ``settings_views.py`` and
``article_views.py`` attach their pages to it (``webhook_views.py`` too: Webhooks);
``session.py`` is the signed cookie naming a server-side session, ``charts.py`` draws SVG.
"""

from __future__ import annotations

from . import article_views, settings_views, views, webhook_views  # noqa: F401  (their routes attach to bp)
from .blueprint import bp

__all__ = ["bp"]
