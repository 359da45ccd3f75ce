"""The reader API: what the widget in a reader's browser calls.

Threat model, said here because this is where it is enforced:

* Counts are public. A GET is answered for any caller; ``Access-Control-Allow-Origin``
  is only sent to the site's allowed origins, so another site's page cannot read them
  through a reader's browser (it could still fetch them server-side: they are public).
* Writes come from readers' browsers on the publisher's pages. A POST whose ``Origin``
  is not an allowed origin of the site is refused before anything changes. A request
  without ``Origin`` is a program, not a browser: it is served, under the rate limits,
  because an attacker's script can send any headers it likes anyway.
* The body may be ``text/plain`` so that the widget's POST is a CORS "simple request"
  with no preflight round trip. That makes a cross-site form post possible, which is why
  the ``Origin`` check above, not the content type, is what guards writes. No cookies or
  credentials are ever read, so there is no ambient authority to abuse.
* One address can mint any number of reader tokens, so each address may add only
  ``READERS_PER_ADDRESS_PER_ARTICLE`` new reactions to one article per day (checked in the
  same atomic step as the write); the rate limits declared below bound the rest.
* The site's settings are enforced here, not in the widget: counts its visibility policy
  hides are left out of every answer (``visibility.py``), a retired reaction cannot be
  chosen, and a POST on a closed article changes nothing (checked inside the write).
* A reader's browser names the article, so a reader could make up any number of them:
  a new article needs the site's admission (a ceiling per site, a budget per address and
  day, and on a ``signed_articles`` site the publisher's signature), and a reader's title
  and url count only on the article's first reaction (``articles.py``).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from .. import config
from ..bodies import json_body
from ..clock import PerSecond
from ..context import get_store, require_site
from ..errors import ApiError
from ..limits import address_article_key_of, address_key
from ..ops import metrics
from ..privacy import client_hash, client_network_hash
from ..sites import Site
from ..validation import (
    bad_request,
    check_article,
    check_articles,
    check_reader,
    check_title,
    check_url,
    not_utf8_query,
)
from . import i18n
from .articles import check_signature_field, post_reaction
from .limits import Folded, fold, windows
from .query import parse_query
from .visibility import article_entry, closes_before

bp = Blueprint("reader_api", __name__, url_prefix="/v1/sites/<site_id>/reactions")


def address_article_key() -> str:
    """Return the rate-limit key of the client and the article its POST names."""
    try:
        article = reaction_body().get("article")
    except HTTPException:
        article = None
    # A body with no usable article is refused by the view; it still costs the client.
    site_id = str((request.view_args or {}).get("site_id", ""))
    return address_article_key_of(site_id, article if isinstance(article, str) else None)


# Each limit and how it is keyed: limits.py. They are flask-limiter's limits with its
# windows, keys and 429, but counted inside each request's own Redis call instead of in
# a call of their own before the view (limits.py): a GET's window travels with its read,
# a POST's windows are counted by its write script. A HEAD is a GET without the body, so
# it spends the same budget; a preflight has a budget of its own (its own endpoint).
READS = Folded(config.RATELIMIT_READ, frozenset({"GET", "HEAD", "OPTIONS"}), address_key)
WRITES = Folded(config.RATELIMIT_WRITE, frozenset({"POST"}), address_key)
WRITES_PER_ARTICLE = Folded(
    config.RATELIMIT_WRITE_ARTICLE, frozenset({"POST"}), address_article_key
)


MAX_BODY_BYTES = 4096
POST_FIELDS = frozenset({"article", "reader", "reaction", "title", "url", "signature"})
COUNTS_PARAMETERS = frozenset({"article", "reader", "lang"})
BODY_TYPES = ("application/json", "text/plain")
PREFLIGHT_MAX_AGE = 7200
# The request headers that can make a counts answer a 304, a 412 or a 206.
CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)


@bp.after_request
def add_cors_headers(response: Response) -> Response:
    """Let the site's allowed origins (and only them) read the answer in a browser."""
    headers = response.headers
    if "Vary" in headers:
        response.vary.add("Origin")
    else:
        headers["Vary"] = "Origin"  # what vary.add() makes of no Vary, without parsing one
    origin = request.environ.get("HTTP_ORIGIN")  # request.headers.get("Origin"), unwrapped
    site: Site | None = g.get("site")
    # An unknown site has no counts to protect: its error is readable, so the widget
    # can say what is wrong instead of "the service is down".
    if origin and (site is None or site.allows_origin(origin)):
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


# After add_cors_headers: a 429 that the fold's own hook answers is given CORS headers too.
fold(bp, READS, WRITES, WRITES_PER_ARTICLE)


def _require_allowed_origin(site: Site, origin: str | None) -> None:
    """Refuse a browser request from a page that is not an allowed origin of the site."""
    if origin is not None and not site.allows_origin(origin):
        raise ApiError(
            403, "origin_not_allowed", f"{origin} is not an allowed origin of site {site.id!r}"
        )


@bp.route("", methods=["OPTIONS"], provide_automatic_options=False)
def preflight(site_id: str) -> Response:
    """Answer a CORS preflight for the site's allowed origins."""
    site = g.site = require_site(site_id)
    # A preflight with an empty Origin names no page to refuse.
    _require_allowed_origin(site, request.headers.get("Origin") or None)
    response = Response(status=204, mimetype="application/json")
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


# The Date header: http_date() once a second, not once a request.
_http_date = PerSecond(http_date)


def _counts_query() -> tuple[list[str], list[str], list[str]]:
    """Return the article, reader and lang values of a counts query; refuse any other."""
    values: dict[str, list[str]] = {name: [] for name in COUNTS_PARAMETERS}
    try:
        pairs = parse_query(request.query_string)
    except UnicodeDecodeError:
        raise not_utf8_query() from None
    unknown = set()
    for name, value in pairs:
        found = values.get(name)
        if found is None:
            unknown.add(name)
        else:
            found.append(value)
    if unknown:
        raise bad_request(f"unknown query parameter {sorted(unknown)[0][:64]!r}")
    return values["article"], values["reader"], values["lang"]


@bp.get("")
def get_counts(site_id: str) -> Response:
    """Return the counts of 1-100 articles, with the reader's own reactions if asked."""
    site = g.site = require_site(site_id)
    articles, readers, langs = _counts_query()
    articles = check_articles(articles)
    if len(readers) > 1:
        raise ApiError(400, "invalid_reader", "give at most one reader")
    reader = check_reader(readers[0]) if readers else None
    if len(langs) > 1:
        raise bad_request("give at most one lang")
    lang = i18n.check_lang(langs[0]) if langs else None

    tallies = get_store().get_tallies(site.id, articles, site.reaction_keys, reader, windows())
    cutoff = closes_before(site)
    body = {
        "site": site.id,
        "reactions": i18n.reactions_json(site.active, lang),
        "articles": {
            article: article_entry(site, tally, reader is not None, cutoff)
            for article, tally in tallies.items()
        },
    }
    response = jsonify(body)
    if reader is None:
        settings = current_app.config
        response.headers["Cache-Control"] = (
            f"public, max-age={settings[config.COUNTS_MAX_AGE]}, "
            f"stale-while-revalidate={settings[config.COUNTS_STALE_WHILE_REVALIDATE]}"
        )
    else:
        response.headers["Cache-Control"] = "private, no-store"
    response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest())
    environ = request.environ
    if any(name in environ for name in CONDITIONAL_HEADERS):
        response.make_conditional(request)
    else:
        # Kept because it earns more than 5% (the rule for a hand-written copy of a library
        # routine): this and the Vary shortcut above save a one-article GET 8-14% of its
        # CPU against make_conditional() and vary.add() (docs/benchmark.md, "Hand-written
        # copies of library routines").
        # All that make_conditional() adds to a request with no condition (its Content-Length
        # is set already), without its parsing of headers that are not there.
        response.headers["Date"] = _http_date(int(time.time()))
    return response


def reaction_body() -> dict[str, Any]:
    """Return the POST body: JSON (as application/json or text/plain), at most 4 KiB, parsed
    once (the per-article limit's key and the view both read it)."""
    body: dict[str, Any] = json_body(BODY_TYPES, MAX_BODY_BYTES, want_object=True)
    return body


@bp.post("")
def set_reaction(site_id: str) -> Response:
    """Set, switch or (with ``reaction: null``) withdraw one reader's reaction."""
    site = g.site = require_site(site_id)
    _require_allowed_origin(site, request.headers.get("Origin"))
    body = reaction_body()
    unknown = set(body) - POST_FIELDS
    if unknown:
        raise bad_request(f"unknown field {sorted(unknown)[0]!r}")
    for required in ("article", "reader", "reaction"):
        if required not in body:
            raise bad_request(f"the field {required!r} is required")
    article = check_article(body["article"])
    reader = check_reader(body["reader"])
    reaction = body["reaction"]
    if reaction is not None and (not isinstance(reaction, str) or reaction not in site.active_keys):
        shown = reaction if isinstance(reaction, str) else json.dumps(reaction)
        raise ApiError(
            400, "unknown_reaction", f"{shown[:64]!r} is not a reaction of site {site.id!r}"
        )
    title = check_title(body.get("title"))
    url = check_url(body.get("url"))
    signature = check_signature_field(body.get("signature"))
    tally = post_reaction(
        get_store(),
        site,
        current_app.config,
        article=article,
        reader=reader,
        reaction=reaction,
        title=title,
        url=url,
        signature=signature,
        address=client_hash(),
        network=client_network_hash(),
        closes_before=closes_before(site),
        windows=windows(),
    )
    metrics.reaction_set(reaction or "withdraw")
    entry = article_entry(site, tally, with_mine=True, cutoff="")
    response = jsonify({"article": article, **entry})
    response.headers["Cache-Control"] = "no-store"
    return response
