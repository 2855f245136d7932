"""Canonical documents as a sending tool would post them to the webhook connector."""

from __future__ import annotations

import json
from typing import Any


def invoice(number: str = "INV-1", amount: str = "100.00", tax: str = "8.25", *,
            version: str | None = None, status: str = "open",
            customer: str = "Acme Corp") -> dict[str, Any]:
    """An invoice with one taxed line, from any sender."""
    source: dict[str, str] = {"connection": "sender", "object_type": "invoice",
                              "external_id": number}
    if version is not None:
        source["version"] = version
    return {
        "type": "invoice",
        "source": source,
        "number": number,
        "customer": {"external_id": customer.lower().replace(" ", "-"), "name": customer},
        "issue_date": "2026-02-01",
        "due_date": "2026-03-03",
        "currency": "USD",
        "status": status,
        "lines": [{"description": "Consulting", "amount": amount,
                   "tax_lines": [{"jurisdiction": "US-TX", "amount": tax}]}],
    }


def body(document: Any) -> bytes:
    """The raw JSON bytes a sender would post."""
    return json.dumps(document).encode()
