"""The invoice's state written onto its deal: status, number, amount due, paid date.

Only the deal is written, never a company or contact (HubSpot is their source of
truth). The properties are set to absolute values, so repeating a command leaves
the deal as it was; an absent number or paid date clears the property.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledgerbridge.connectors.hubspot.connector import HubSpotSettings

__all__ = ["COMMAND", "invoice_properties"]

COMMAND = "set_invoice_status"


def _decimal_text(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"amount_due {value!r} is not a decimal") from None
    if not number.is_finite():
        raise ValueError(f"amount_due {value!r} is not finite")
    return format(number, "f")


def invoice_properties(payload: Mapping[str, Any],
                       settings: HubSpotSettings) -> dict[str, str]:
    """The deal properties for one ``set_invoice_status`` payload.

    A property whose name is set to "" in the settings is not written. Raises
    ValueError when the payload cannot be written.
    """
    labels = {"open": settings.invoiced_label,
              "partially_paid": settings.partially_paid_label,
              "paid": settings.paid_label}
    status = payload.get("status")
    if status not in labels:
        raise ValueError(f"status {status!r} is not one of {', '.join(labels)}")
    paid_date = payload.get("paid_date")
    if paid_date is not None:
        paid_date = dt.date.fromisoformat(str(paid_date)).isoformat()
    amount_due = payload.get("amount_due")
    values = {
        settings.status_property: labels[status],
        settings.number_property: str(payload.get("number") or ""),
        settings.amount_due_property: "" if amount_due is None else _decimal_text(amount_due),
        settings.paid_date_property: paid_date or "",
    }
    return {name: value for name, value in values.items() if name}
