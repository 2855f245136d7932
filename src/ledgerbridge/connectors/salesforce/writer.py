"""The ``set_invoice_status`` write-back: the invoice's state on its opportunity.

The outbox sends ``{"external_id": <opportunity id>, "status": "open" |
"partially_paid" | "paid", "number", "amount_due", "paid_date", ...}`` (decimals
as strings in major units). It becomes one PATCH of the opportunity's own fields,
named in the settings; setting the same values again changes nothing, so a
repeated delivery is harmless. Account and contact fields are never written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerbridge.connectors.salesforce.settings import SalesforceSettings
from ledgerbridge.sync.errors import FatalError

__all__ = ["invoice_status_fields", "record_id"]

_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


def record_id(payload: Mapping[str, Any], connection: str) -> str:
    """The opportunity id the payload names (15 or 18 characters)."""
    value = payload.get("external_id")
    if not isinstance(value, str) or not _RECORD_ID.match(value):
        raise FatalError(f"set_invoice_status needs an opportunity id as external_id, "
                         f"got {value!r}", connection=connection)
    return value


def invoice_status_fields(settings: SalesforceSettings, payload: Mapping[str, Any],
                          connection: str) -> dict[str, Any]:
    """The opportunity fields to PATCH for this invoice status payload."""
    record = record_id(payload, connection)
    status = payload.get("status")
    if status not in settings.status_values:
        raise FatalError(f"unknown invoice status {status!r} (known: "
                         f"{', '.join(settings.status_values)})",
                         connection=connection, record=record)
    amount_due = payload.get("amount_due")
    try:
        due = None if amount_due is None else Decimal(str(amount_due))
    except InvalidOperation:
        raise FatalError(f"amount_due {amount_due!r} is not a decimal",
                         connection=connection, record=record) from None
    values = {
        settings.status_field: settings.status_values[status],
        settings.number_field: payload.get("number"),
        settings.amount_due_field: due,
        settings.paid_date_field: payload.get("paid_date"),
    }
    return {name: value for name, value in values.items() if name is not None}
