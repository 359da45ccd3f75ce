"""The publisher API: one blueprint for the publisher's own programs, with an API key.

``blueprint.py`` makes the blueprint (its threat model, limits and shared request
helpers); ``api.py``, ``articles.py``, ``moves.py`` and ``settings.py`` attach their routes to it;
``auth.py`` checks the key; ``tallies.py`` is what the API and the dashboard share.
"""

from __future__ import annotations

from . import api, articles, keys, moves, settings  # noqa: F401  (their routes attach to bp)
from .blueprint import bp

__all__ = ["bp"]
