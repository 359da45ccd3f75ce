"""Standard Webhooks signatures: the secret, the three headers of an attempt.

The signature is made by the specification's own Python package, ``standardwebhooks``
(MIT, no dependencies, from the specification's repository), so what we send is what
its verifiers in every language check: ``v1,<base64 of HMAC-SHA256 keyed with the
secret's bytes, of "<webhook-id>.<webhook-timestamp>.<body>">``. The timestamp is the
attempt's (a retry signs anew), the id the event's for that webhook (the same on every retry).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    """Return a new webhook secret: ``whsec_`` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def delivery_id(event_id: str, hook: str) -> str:
    """Return the ``webhook-id`` of one event for one webhook: the same however often made."""
    digest = hashlib.blake2b(f"{event_id}/{hook}".encode(), digest_size=12).hexdigest()
    return f"msg_{digest}"


def headers(secret: str, msg_id: str, body: bytes, now: float) -> dict[str, str]:
    """Return the Standard Webhooks headers of one attempt to send ``body``."""
    moment = datetime.fromtimestamp(int(now), UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": Webhook(secret).sign(msg_id, moment, body),
    }
