"""Stripe's webhook signature: ``Stripe-Signature: t=<unix time>,v1=<hex>[,v1=...]``.

Each ``v1`` value is the hex HMAC-SHA256 of ``"<t>.<raw body>"`` under the endpoint's
signing secret. A header may carry several ``v1`` values (during a secret roll) and
other schemes (``v0``), which are ignored. The timestamp must lie within a tolerance
of now, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["SIGNATURE_HEADER", "SignatureMismatch", "sign", "verify"]

SIGNATURE_HEADER = "stripe-signature"


class SignatureMismatch(ValueError):
    """The header is missing, malformed, stale or signed with another secret."""


def _digest(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` (now, unless ``timestamp``)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={_digest(payload, secret, stamp)}"


def verify(header: str, payload: bytes, secret: str, *, tolerance: int,
           now: float | None = None) -> int:
    """Check ``header`` against ``payload``; return its timestamp or raise SignatureMismatch."""
    stamps, signatures = [], []
    for part in header.split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == "t":
            stamps.append(value)
        elif scheme == "v1":
            signatures.append(value.lower())
    if len(stamps) != 1 or not stamps[0].isdigit():
        raise SignatureMismatch("no timestamp (t=) in the Stripe-Signature header")
    if not signatures:
        raise SignatureMismatch("no v1 signature in the Stripe-Signature header")
    stamp = int(stamps[0])
    expected = _digest(payload, secret, stamp)
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise SignatureMismatch("no v1 signature matches the body")
    age = (time.time() if now is None else now) - stamp
    if abs(age) > tolerance:
        raise SignatureMismatch(f"timestamp is {int(age)} s away from now "
                                f"(tolerance {tolerance} s)")
    return stamp
