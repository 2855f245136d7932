"""Shopify webhooks: the HMAC header, and which object each topic carries.

Shopify signs the raw body: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 under
the app's API secret. ``X-Shopify-Webhook-Id`` names the delivery (the same on every
retry of it); ``X-Shopify-Topic`` says what the body is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["HMAC_HEADER", "TOPIC_HEADER", "TOPICS", "WEBHOOK_ID_HEADER", "signature", "valid"]

HMAC_HEADER = "x-shopify-hmac-sha256"
TOPIC_HEADER = "x-shopify-topic"
WEBHOOK_ID_HEADER = "x-shopify-webhook-id"

TOPICS = {
    "orders/create": "order",
    "orders/updated": "order",
    "orders/paid": "order",
    "orders/cancelled": "order",
    "refunds/create": "refund",
}
"""Topics read, and the object type their body holds (others are stored and ignored)."""


def signature(body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value of ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def valid(body: bytes, secret: str, given: str) -> bool:
    """Whether ``given`` is the body's signature (constant-time comparison)."""
    return hmac.compare_digest(signature(body, secret).encode(), given.strip().encode())
