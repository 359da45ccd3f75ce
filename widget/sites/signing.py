"""Signed articles: a site's signing secret, and the check of an article's signature.

On a site with ``signed_articles`` on, a new article is counted only with the publisher's
signature of its id (``reader/articles.py`` asks here before the store admits it). A
signature covers either the id alone (``sign``), or the id, the title and the URL
together (``sign_page``: the three joined by newlines, which no id holds, so the two
forms never sign the same message). Only the second lets the reader's title and URL be
kept: with an id-only signature, whoever sends the first reaction with the page's public
``data-signature`` would otherwise choose what the dashboard shows.
The signing secret is never stored. It is derived from the service's ``SECRET_KEY`` and
a random nonce in the site's record: HMAC-SHA256(SECRET_KEY, "signing:<site>:<nonce>").
A copy of Redis alone cannot forge a signature; rotating the secret replaces the nonce;
changing ``SECRET_KEY`` changes every site's signing secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from .site import Site

SECRET_PREFIX = "ss_"


def signing_secret(secret_key: str, site: Site) -> str | None:
    """Return the site's signing secret, or None when it never had one made."""
    if not site.signing_nonce:
        return None
    message = f"signing:{site.id}:{site.signing_nonce}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: str, article: str) -> str:
    """Return an article's signature: lowercase hex HMAC-SHA256 of its id under the secret."""
    return hmac.new(secret.encode(), article.encode(), hashlib.sha256).hexdigest()


def sign_page(secret: str, article: str, title: str | None, url: str | None) -> str:
    """Return the signature of an article's id, title and URL: HMAC of "id\ntitle\nurl"."""
    return sign(secret, f"{article}\n{title or ''}\n{url or ''}")


@dataclass(frozen=True)
class Verdict:
    """A POST's signature, checked: why a new article would be refused ("" if not), and
    whether the reader's title and URL may be kept."""

    refusal: str
    keeps_page: bool


def check_signature(
    secret_key: str,
    site: Site,
    article: str,
    signature: str | None,
    title: str | None,
    url: str | None,
) -> Verdict:
    """Return the verdict on a POST's signature of the article (and its title and URL)."""
    if not site.signed_articles:
        return Verdict("", keeps_page=True)
    if signature is None:
        return Verdict("signature_required", keeps_page=False)
    secret = signing_secret(secret_key, site)
    if not secret:
        return Verdict("invalid_signature", keeps_page=False)
    sent = signature.encode()
    # Constant time: a signature must not be found a byte at a time by its timing.
    if hmac.compare_digest(sign_page(secret, article, title, url).encode(), sent):
        return Verdict("", keeps_page=True)
    if hmac.compare_digest(sign(secret, article).encode(), sent):
        return Verdict("", keeps_page=False)
    return Verdict("invalid_signature", keeps_page=False)
