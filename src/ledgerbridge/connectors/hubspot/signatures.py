"""HubSpot's webhook signatures, versions 1, 2 and 3, signed and checked the same way.

- v1: ``X-HubSpot-Signature`` = hex SHA-256 of client secret + body;
- v2: ``X-HubSpot-Signature`` = hex SHA-256 of client secret + method + URI + body;
- v3: ``X-HubSpot-Signature-v3`` = base64 HMAC-SHA256, keyed by the client secret, of
  method + URI + body + ``X-HubSpot-Request-Timestamp`` (milliseconds), refused when
  the timestamp is more than five minutes away from now.

The emulator signs with :func:`sign`; the connector checks with :func:`check`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping

__all__ = ["MAX_AGE", "SignatureMismatch", "check", "sign", "signed_headers"]

MAX_AGE = dt.timedelta(minutes=5)

# HubSpot decodes these escapes in the URI before signing with v3.
_DECODED = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
            "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


class SignatureMismatch(ValueError):
    """The request's signature is missing, stale or wrong (the message says which)."""


def _decoded_uri(uri: str) -> str:
    for escape, char in _DECODED.items():
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return uri


def sign(version: str, secret: str, method: str, uri: str, body: bytes,
         timestamp_ms: int | None = None) -> str:
    """The signature of one request under ``version`` ("v1", "v2" or "v3")."""
    if version == "v1":
        return hashlib.sha256(secret.encode() + body).hexdigest()
    if version == "v2":
        return hashlib.sha256(f"{secret}{method}{uri}".encode() + body).hexdigest()
    if version == "v3":
        if timestamp_ms is None:
            raise ValueError("a v3 signature needs the request timestamp")
        message = f"{method}{_decoded_uri(uri)}".encode() + body + str(timestamp_ms).encode()
        digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()
    raise ValueError(f"unknown signature version {version!r}")


def signed_headers(version: str, secret: str, method: str, uri: str, body: bytes,
                   now: dt.datetime) -> dict[str, str]:
    """The headers HubSpot sends with a request signed under ``version``."""
    if version == "v3":
        stamp = int(now.timestamp() * 1000)
        return {"X-HubSpot-Signature-v3": sign(version, secret, method, uri, body, stamp),
                "X-HubSpot-Request-Timestamp": str(stamp)}
    return {"X-HubSpot-Signature": sign(version, secret, method, uri, body),
            "X-HubSpot-Signature-Version": version}


def check(headers: Mapping[str, str], secret: str, method: str, uri: str, body: bytes,
          now: dt.datetime) -> None:
    """Raise SignatureMismatch unless ``headers`` (lower-case names) sign the request.

    A v3 signature is preferred when present; otherwise ``X-HubSpot-Signature-Version``
    says which of v1 and v2 the ``X-HubSpot-Signature`` header holds (v1 by default).
    """
    if "x-hubspot-signature-v3" in headers:
        given = headers["x-hubspot-signature-v3"]
        try:
            stamp = int(headers.get("x-hubspot-request-timestamp", ""))
        except ValueError:
            raise SignatureMismatch("missing or unreadable X-HubSpot-Request-Timestamp") from None
        sent = dt.datetime.fromtimestamp(stamp / 1000, dt.UTC)
        if abs(now - sent) > MAX_AGE:
            raise SignatureMismatch(f"timestamp {sent.isoformat()} is more than five minutes "
                                    f"from now: refused as a possible replay")
        expected = sign("v3", secret, method, uri, body, stamp)
    elif "x-hubspot-signature" in headers:
        given = headers["x-hubspot-signature"]
        version = headers.get("x-hubspot-signature-version", "v1").lower()
        if version not in ("v1", "v2"):
            raise SignatureMismatch(f"unknown X-HubSpot-Signature-Version {version!r}")
        expected = sign(version, secret, method, uri, body)
    else:
        raise SignatureMismatch("no X-HubSpot-Signature-v3 or X-HubSpot-Signature header")
    if not hmac.compare_digest(given.strip(), expected):
        raise SignatureMismatch("signature does not match the request")
