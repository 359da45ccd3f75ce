"""Signed articles: a site's signing secret, and the check of an article's signature.

On a site with ``signed_articles`` on, a new article is counted only with the publisher's
signature of its id (``reader/articles.py`` asks here before the store admits it).
The signing secret is never stored. It is derived from the service's ``SECRET_KEY`` and
a random nonce in the site's record: HMAC-SHA256(SECRET_KEY, "signing:<site>:<nonce>").
A copy of Redis alone cannot forge a signature; rotating the secret replaces the nonce;
changing ``SECRET_KEY`` changes every site's signing secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

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


def signature_refusal(secret_key: str, site: Site, article: str, signature: str | None) -> str:
    """Return why a new article of the site would be refused for its signature, or ""."""
    if not site.signed_articles:
        return ""
    if signature is None:
        return "signature_required"
    secret = signing_secret(secret_key, site)
    expected = sign(secret, article) if secret else ""
    # Constant time: a signature must not be found a byte at a time by its timing.
    if not secret or not hmac.compare_digest(expected.encode(), signature.encode()):
        return "invalid_signature"
    return ""
