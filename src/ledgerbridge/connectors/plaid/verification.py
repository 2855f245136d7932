"""Plaid webhook verification, as Plaid documents it.

Every webhook carries a ``Plaid-Verification`` header: a JWT signed with ES256
whose header ``kid`` names one of Plaid's keys, fetched from
``/webhook_verification_key/get`` (as a JWK) and cached by kid. The webhook is
genuine when the JWT's algorithm is ES256, its signature verifies with that key,
the key has not expired, the ``iat`` claim is at most five minutes old and the
``request_body_sha256`` claim equals the SHA-256 of the raw body (compared in
constant time). Anything else is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from ledgerbridge.sync.errors import SignatureError

__all__ = ["ALGORITHM", "MAX_AGE_SECONDS", "VERIFICATION_HEADER", "WebhookKeys", "verify"]

VERIFICATION_HEADER = "plaid-verification"
ALGORITHM = "ES256"
MAX_AGE_SECONDS = 5 * 60
CLOCK_SKEW_SECONDS = 60  # an ``iat`` this far in the future still passes (clocks differ)

KeyLookup = Callable[[str], Mapping[str, Any]]
"""The JWK of a key id; raises SignatureError for a key Plaid does not know."""


class WebhookKeys:
    """Plaid's verification keys by kid, cached; an unknown kid makes a fetch.

    As Plaid's own examples do, a fetch for a new kid also fetches again the cached
    keys not yet known to have expired: a new key usually means the old one is
    being retired, and Plaid says when by setting its ``expired_at``.
    """

    def __init__(self, fetch: KeyLookup) -> None:
        self._fetch = fetch
        self._keys: dict[str, Mapping[str, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, kid: str) -> Mapping[str, Any]:
        """The JWK of ``kid``, from the cache or from Plaid."""
        key = self._keys.get(kid)
        if key is None:
            key = self._fetch(kid)
            live = [k for k, v in self._keys.items() if v.get("expired_at") is None]
            refreshed: dict[str, Mapping[str, Any] | None] = {}
            for old in live:
                try:
                    refreshed[old] = self._fetch(old)
                except SignatureError:  # Plaid no longer knows it
                    refreshed[old] = None
            with self._lock:
                for old, value in refreshed.items():
                    if value is None:
                        self._keys.pop(old, None)
                    else:
                        self._keys[old] = value
                self._keys[kid] = key
        return key

    def forget(self, kid: str) -> None:
        """Drop a cached key (it expired): the next webhook naming it fetches it again."""
        with self._lock:
            self._keys.pop(kid, None)


def verify(token: str, body: bytes, keys: KeyLookup, *, now: float | None = None,
           connection: str | None = None) -> dict[str, Any]:
    """Check a ``Plaid-Verification`` JWT against the raw ``body``; returns its claims."""

    def refuse(reason: str) -> SignatureError:
        return SignatureError(f"Plaid-Verification: {reason}", connection=connection)

    if not token:
        raise refuse("header missing")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise refuse("not a JWT") from None
    if header.get("alg") != ALGORITHM:
        raise refuse(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise refuse("no key id (kid) in the JWT header")
    jwk = keys(kid)
    if jwk.get("expired_at") is not None:
        if isinstance(keys, WebhookKeys):
            keys.forget(kid)
        raise refuse(f"key {kid} has expired")
    try:
        public_key = jwt.PyJWK(dict(jwk), algorithm=ALGORITHM).key
        claims = jwt.decode(token, public_key, algorithms=[ALGORITHM],
                            options={"require": ["iat"], "verify_exp": False},
                            leeway=CLOCK_SKEW_SECONDS)
    except (jwt.InvalidTokenError, jwt.PyJWKError, ValueError, TypeError) as exc:
        raise refuse(f"signature does not verify ({type(exc).__name__})") from None
    issued = claims["iat"]
    current = time.time() if now is None else now
    if isinstance(issued, bool) or not isinstance(issued, int | float) \
            or current - issued > MAX_AGE_SECONDS:
        raise refuse("issued more than 5 minutes ago")
    claimed = claims.get("request_body_sha256")
    if not isinstance(claimed, str):
        raise refuse("no request_body_sha256 claim")
    digest = hashlib.sha256(body).hexdigest()
    if not hmac.compare_digest(digest.encode(), claimed.encode("utf-8", "replace")):
        raise refuse("request_body_sha256 does not match the body")
    return claims
