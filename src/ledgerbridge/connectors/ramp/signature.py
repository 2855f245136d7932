"""Ramp's webhook signature: ``X-Ramp-Signature`` is the hex HMAC-SHA256 of the raw body.

The key is the signing secret Ramp shows for the webhook subscription. Ramp signs the
exact bytes it sends, so the body is checked before it is parsed. Ramp's signature
carries no timestamp; a replayed delivery is caught by its event id, which the inbox
keeps unique.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "SignatureMismatch", "sign", "verify"]

SIGNATURE_HEADER = "x-ramp-signature"


class SignatureMismatch(ValueError):
    """The header is missing or was made with another secret or another body."""


def sign(payload: bytes, secret: str) -> str:
    """The ``X-Ramp-Signature`` value for ``payload``."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def verify(header: str, payload: bytes, secret: str) -> None:
    """Raise SignatureMismatch unless ``header`` signs ``payload`` with ``secret``."""
    given = header.strip().lower().removeprefix("sha256=")
    if not given:
        raise SignatureMismatch("no X-Ramp-Signature header")
    if not hmac.compare_digest(sign(payload, secret), given):
        raise SignatureMismatch("X-Ramp-Signature does not match the body")
