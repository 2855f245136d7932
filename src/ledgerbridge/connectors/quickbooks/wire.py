"""QuickBooks wire details shared by the client and the emulator.

Amounts are JSON numbers, read and written as exact Decimals; webhooks carry
``intuit-signature``: the base64 HMAC-SHA256 of the raw body under the app's
verifier token; errors come as ``{"Fault": {"Error": [{"Message", "Detail", "code"}],
"type"}}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from ledgerbridge.connectors.exact_json import dumps, loads

__all__ = ["Fault", "dumps", "fault_of", "loads", "sign", "signature_matches"]


def sign(body: bytes, verifier_token: str) -> str:
    """The ``intuit-signature`` of ``body``."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_matches(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """Whether ``signature`` is the body's signature (compared in constant time)."""
    return bool(signature) and hmac.compare_digest(sign(body, verifier_token),
                                                   str(signature).strip())


@dataclass(frozen=True, slots=True)
class Fault:
    """The first error of a ``Fault`` answer."""

    code: str
    message: str
    detail: str = ""
    kind: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.code} {self.message}: {self.detail}".strip()


def fault_of(body: Any) -> Fault | None:
    """The fault in an answer body, if it is one."""
    fault = body.get("Fault") if isinstance(body, dict) else None
    if not isinstance(fault, dict):
        return None
    errors = fault.get("Error") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    return Fault(str(first.get("code", "")), str(first.get("Message", "")),
                 str(first.get("Detail", "")), str(fault.get("type", "")))
