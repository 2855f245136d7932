"""Xero webhook signatures: ``x-xero-signature`` is base64(HMAC-SHA256(key, body))."""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "sign", "valid"]

SIGNATURE_HEADER = "x-xero-signature"


def sign(body: bytes, key: str) -> str:
    """The signature Xero sends with ``body`` under the webhook key."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def valid(body: bytes, key: str, signature: str) -> bool:
    """Whether ``signature`` is the body's signature (compared in constant time)."""
    return hmac.compare_digest(sign(body, key).encode(), signature.strip().encode())
