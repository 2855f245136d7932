"""PayPal balance movements: one shape for a webhook resource and a searched transaction.

A capture reaches us twice: as the resource of a ``PAYMENT.CAPTURE.COMPLETED``
webhook and as a ``T0006`` row of Transaction Search. Both are read into the same
:class:`Movement`, so both produce the same canonical document and the ledger
posts it once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ledgerbridge.money import parse_minor, parse_rate

__all__ = ["Movement", "from_resource", "from_transaction", "kind_of_code", "stamp",
           "stamp_of", "version_of"]

Kind = Literal["capture", "refund", "reversal", "withdrawal", "fee", "neutral"]
State = Literal["completed", "pending", "void"]

PAYMENT_CODES = frozenset({"T0002", "T0003", "T0004", "T0005", "T0006", "T0007", "T0011",
                           "T0012", "T0013"})
"""Payments received: subscription, pre-approved, eBay, direct, checkout, website, ..."""
NEUTRAL_CODES = frozenset({"T1110", "T1111"})
"""Holds and their release: money stays in the PayPal balance."""
_KINDS: dict[str, Kind] = {
    "T1107": "refund", "T1106": "reversal", "T1201": "reversal",
    "T0400": "withdrawal", "T0401": "withdrawal", "T0402": "withdrawal", "T0403": "withdrawal",
}
_TRANSACTION_STATES: dict[str, State] = {"S": "completed", "P": "pending", "D": "void",
                                         "V": "void"}
_RESOURCE_STATES: dict[str, State] = {
    "COMPLETED": "completed", "PARTIALLY_REFUNDED": "completed", "REFUNDED": "completed",
    "PENDING": "pending", "DECLINED": "void", "FAILED": "void", "CANCELLED": "void"}


@dataclass(frozen=True, slots=True)
class Movement:
    """One movement of the PayPal balance, read from either source.

    Attributes:
        kind: what it is; ``neutral`` moves nothing the ledger tracks (conversions, holds).
        id: the PayPal transaction (capture, refund ...) id.
        code: the transaction event code, when searched (T0006 ...).
        state: completed, pending or void (denied, reversed).
        capture: the capture it belongs to (refunds, reversals).
        gross: the amount moved, positive, in ``currency`` minor units.
        fee: fee charged on it, positive; negative when PayPal returns a fee.
        rate: PayPal's exchange rate into the account currency, when converted.

    """

    kind: Kind
    id: str
    state: State
    currency: str
    gross: int
    fee: int
    created: dt.datetime
    updated: dt.datetime
    code: str | None = None
    capture: str | None = None
    rate: Decimal | None = None
    invoice_id: str | None = None


def stamp(moment: dt.datetime) -> str:
    """PayPal's date-time text: UTC, whole seconds, ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp_of(text: str) -> dt.datetime:
    """A PayPal date-time (``Z``, ``+00:00`` or ``+0000``) as an aware UTC datetime."""
    moment = dt.datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def version_of(updated: str, status: str) -> str:
    """An object version: when it changed and its state, read the same from either source.

    The state is part of it because PayPal's times have whole seconds: a capture
    that completes in the second it was pending must still be a new version.
    """
    state = _TRANSACTION_STATES.get(status) or _RESOURCE_STATES.get(status, "pending")
    return f"{stamp_of(updated).isoformat()} {state}"


def kind_of_code(code: str) -> Kind | None:
    """The kind of movement a transaction event code is; None for codes we do not know."""
    if code in PAYMENT_CODES:
        return "capture"
    if code in _KINDS:
        return _KINDS[code]
    if code.startswith("T01"):
        return "fee"
    if code.startswith("T02") or code in NEUTRAL_CODES:
        return "neutral"
    return None


def _minor(money: dict[str, Any] | None, currency: str) -> int:
    return parse_minor(str(money["value"]), currency) if money else 0


def from_transaction(detail: dict[str, Any], kind: Kind) -> Movement:
    """A Transaction Search ``transaction_detail`` (with our ``exchange_rate``, if looked up)."""
    info = detail["transaction_info"]
    currency = info["transaction_amount"]["currency_code"]
    amount = _minor(info["transaction_amount"], currency)
    fee_amount = _minor(info.get("fee_amount"), currency)
    gross = -(amount + fee_amount) if kind == "fee" else abs(amount)
    rate = detail.get("exchange_rate")
    return Movement(
        kind=kind, id=info["transaction_id"], code=info["transaction_event_code"],
        state=_TRANSACTION_STATES.get(info.get("transaction_status", ""), "pending"),
        currency=currency, gross=gross, fee=0 if kind == "fee" else -fee_amount,
        created=stamp_of(info["transaction_initiation_date"]),
        updated=stamp_of(info.get("transaction_updated_date")
                         or info["transaction_initiation_date"]),
        capture=info.get("paypal_reference_id") if kind != "capture" else None,
        rate=parse_rate(rate) if rate else None, invoice_id=info.get("invoice_id"),
    )


def from_resource(resource: dict[str, Any], kind: Kind) -> Movement:
    """A Payments v2 capture or refund (a reversal comes as a refund-shaped resource)."""
    currency = resource["amount"]["currency_code"]
    if kind == "capture":
        breakdown = resource.get("seller_receivable_breakdown") or {}
        rate = (breakdown.get("exchange_rate") or {}).get("value")
    else:
        breakdown = resource.get("seller_payable_breakdown") or {}
        converted = breakdown.get("net_amount_breakdown") or [{}]
        rate = (converted[0].get("exchange_rate") or {}).get("value")
    fee = _minor(breakdown.get("paypal_fee"), currency)
    up = next((link["href"] for link in resource.get("links", []) if link.get("rel") == "up"),
              None)
    return Movement(
        kind=kind, id=resource["id"],
        state=_RESOURCE_STATES.get(resource.get("status", ""), "pending"),
        currency=currency, gross=_minor(breakdown.get("gross_amount") or resource["amount"],
                                        currency),
        fee=-fee if kind == "refund" else fee,
        created=stamp_of(resource["create_time"]),
        updated=stamp_of(resource.get("update_time") or resource["create_time"]),
        capture=up.rstrip("/").rsplit("/", 1)[-1] if up and kind != "capture" else None,
        rate=parse_rate(rate) if rate else None, invoice_id=resource.get("invoice_id"),
    )
