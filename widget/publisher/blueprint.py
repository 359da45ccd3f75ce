"""The publisher API's blueprint: a site's tallies for the publisher's own programs.

Threat model: every endpoint needs the site's API key as a bearer token (``auth.py``),
so it is called by servers and scripts, not by readers' browsers: no CORS headers are
sent, and no cookie is ever read here (the dashboard has its own session-based routes).
Answers hold non-public data (first and last reaction times) and are ``no-store``.

Its routes live in ``api.py``, ``articles.py`` and ``settings.py``; the request helpers
they share (the query's parameters, the article it names) live here; the JSON body is
``bodies.json_body``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Blueprint, Response, request

from .. import config
from ..context import get_sites
from ..errors import ApiError
from ..limits import address_key, configured, limiter
from ..validation import bad_request, check_article
from .auth import bearer_key

bp = Blueprint("publisher_api", __name__, url_prefix="/v1/sites/<site_id>")


def publisher_key() -> str:
    """Return the rate-limit key of a publisher request: the key's name, else the address."""
    site_id = (request.view_args or {}).get("site_id")
    api_key = bearer_key()
    if site_id and api_key:
        site = get_sites().get(str(site_id))
        key = site.find_key(api_key) if site is not None else None
        if site is not None and key is not None:
            return f"k:{site.id}:{key.name}"
    return address_key()


# One budget per key of a site, shared by every endpoint (limits.py says why keys are hashed).
limiter.shared_limit(
    configured(config.RATELIMIT_PUBLISHER), scope="publisher", key_func=publisher_key
)(bp)


@bp.after_request
def no_store(response: Response) -> Response:
    """Keep tallies out of every cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def query_params(allowed: Iterable[str]) -> dict[str, str]:
    """Return the query parameters, refusing unknown or repeated ones."""
    allowed = frozenset(allowed)
    for name in request.args:
        if name not in allowed:
            raise bad_request(f"unknown query parameter {name!r}")
        if len(request.args.getlist(name)) > 1:
            raise bad_request(f"give {name!r} at most once")
    return dict(request.args.items())


def article_param(params: Mapping[str, str]) -> str:
    """Return the article that the query names with ``?article=``, checked, or raise 400."""
    if "article" not in params:
        raise ApiError(400, "invalid_article", "name the article: ?article=<id>")
    return check_article(params["article"])
