"""Gusto's webhook signature: ``X-Gusto-Signature``, the hex HMAC-SHA256 of the body.

The key is the subscription's ``verification_token``, which Gusto sends once to the
subscription URL when the subscription is created.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["HEADER", "sign", "verifies"]

HEADER = "x-gusto-signature"
"""The header, lower case as the gateway keeps headers."""


def sign(body: bytes, token: str) -> str:
    """The signature Gusto sends with ``body``."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def verifies(body: bytes, token: str, signature: str | None) -> bool:
    """Whether ``signature`` is Gusto's for ``body``, compared in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(sign(body, token), signature.strip().lower())
