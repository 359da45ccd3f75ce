"""What makes an article: a reader's first counted reaction, admitted by the site.

An article enters storage only with its first counted reaction, and only when the site
lets it in: the site's ceiling (``MAX_ARTICLES_PER_SITE``), the address's budget of new
articles a day (``NEW_ARTICLES_PER_ADDRESS_PER_DAY``; an IPv6 client's /48 shares
``NETWORK_SHARE`` times as many, ``privacy.py``) and, on a site with ``signed_articles``
on, the publisher's signature of the article id. All of it is decided in the same Redis
call as the write (``store/writes.py``): the signature is checked here first
(``sites/signing.py``), and its verdict counts only if the article turns out to be new;
the ceiling and the budget are read and spent only then, so an existing article's path
pays none of it. On a signed site the reader's title and URL are kept only when the
signature covers them too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..config import (
    MAX_ARTICLES_PER_SITE,
    NEW_ARTICLES_PER_ADDRESS_PER_DAY,
    SECRET_KEY,
)
from ..errors import ApiError
from ..limits import address_budget, address_cap
from ..ops import metrics
from ..privacy import NETWORK_SHARE
from ..sites import Site, SiteError, normalize_origin
from ..sites.signing import check_signature
from ..store import Admission, ArticleClosed, ArticleRefused, CapReached, Store, Tally, Window
from ..validation import bad_request


def check_signature_field(signature: Any) -> str | None:
    """Return the signature field (None if absent), or raise 400 bad_request."""
    if signature is None:
        return None
    # ASCII only: a signature is hex, and a lone surrogate could not even be compared.
    if not isinstance(signature, str) or len(signature) > 128 or not signature.isascii():
        raise bad_request("signature must be a string of at most 128 ASCII characters")
    return signature


def reader_url(site: Site, url: str | None) -> str | None:
    """Return a reader's URL as it may be kept: on an allowed origin, without query or hash."""
    if url is None:
        return None
    parts = urlsplit(url)
    try:
        origin = normalize_origin(f"{parts.scheme}://{parts.netloc}")
    except SiteError:  # user:password@, a bad port: not a URL the publisher would link
        return None
    if site.origins and origin not in site.origins:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", "", ""))


def seconds_to_midnight() -> int:
    """Return the seconds until the next UTC day, when the per-day budgets start anew."""
    return 86400 - int(time.time()) % 86400


def post_reaction(
    store: Store,
    site: Site,
    config: Mapping[str, Any],
    *,
    article: str,
    reader: str,
    reaction: str | None,
    title: str | None,
    url: str | None,
    signature: str | None,
    address: str,
    network: str | None = None,
    closes_before: str = "",
    windows: Sequence[Window] = (),
) -> Tally:
    """Set one reader's reaction, admitting the article if it is new (one Redis call).

    ``address`` is the client's hash, ``network`` its IPv6 /48's (None for IPv4). The
    signature is checked here, before the call, for every POST of a signed site (an
    HMAC: microseconds); the store refuses on its result only if the article is new.
    """
    cap = address_cap()
    budget = address_budget(NEW_ARTICLES_PER_ADDRESS_PER_DAY)
    verdict = check_signature(config[SECRET_KEY], site, article, signature, title, url)
    if not verdict.keeps_page:  # signed for the id only: the page is not the reader's to name
        title = url = None
    admission = Admission(
        most=config[MAX_ARTICLES_PER_SITE],
        budget=budget,
        address=address,
        refusal=verdict.refusal,
        network=network,
        network_budget=budget * NETWORK_SHARE,
    )
    try:
        return store.set_reaction(
            site.id,
            article,
            reader,
            reaction,
            site.reaction_keys,
            title=title,
            url=reader_url(site, url),
            address=address if cap else None,
            cap=cap,
            network=network if cap else None,
            network_cap=cap * NETWORK_SHARE,
            closes_before=closes_before,
            admission=admission,
            windows=windows,
            milestones=site.milestones,
        )
    except ArticleClosed:
        raise ApiError(403, "article_closed", f"voting on {article[:64]!r} is closed") from None
    except CapReached:
        raise ApiError(
            429,
            "rate_limited",
            "too many readers from this address reacted to this article today",
            {"Retry-After": str(seconds_to_midnight())},
        ) from None
    except ArticleRefused as refused:
        metrics.article_refused(refused.code)
        raise refusal_error(refused.code, site) from None


def refusal_error(code: str, site: Site) -> ApiError:
    """Return the answer to a new article that the site refused (``code``: why)."""
    if code == "signature_required":
        return ApiError(
            403,
            "signature_required",
            f"site {site.id!r} counts a new article only with the publisher's signature",
        )
    if code == "invalid_signature":
        return ApiError(403, "invalid_signature", "the signature does not match the article")
    if code == "article_limit":
        return ApiError(403, "article_limit", f"site {site.id!r} holds as many articles as it may")
    return ApiError(
        429,
        "new_article_budget",
        "this address has started as many new articles today as it may",
        {"Retry-After": str(seconds_to_midnight())},
    )
