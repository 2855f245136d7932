"""The emulated merchant account behind the PayPal emulator: its money and its history.

Captures, refunds, reversals, fees and withdrawals each add rows to the account's
transaction history (what Transaction Search lists) and webhook events (what the
emulator sends). Amounts are integer minor units; the account holds one currency,
and captures in another are converted at the account's rates, as PayPal does.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import string
import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ledgerbridge.connectors.paypal.movements import stamp
from ledgerbridge.money import MoneyError, convert, format_minor, parse_minor

__all__ = ["Account", "PayPalProblem"]


class PayPalProblem(Exception):
    """A request PayPal would refuse: HTTP status, error name, issue and message."""

    def __init__(self, status: int, name: str, issue: str, message: str) -> None:
        self.status, self.name, self.issue, self.message = status, name, issue, message
        super().__init__(message)


def money(minor: int, currency: str) -> dict[str, str]:
    """PayPal's money object."""
    return {"currency_code": currency, "value": format_minor(minor, currency)}


@dataclass
class Account:
    """One merchant account: configuration (fees, rates, clock) and everything it holds.

    ``fee_percent`` and ``fee_fixed`` (minor units) price each capture; refunds
    return the percentage part in proportion, PayPal keeps the fixed part.
    """

    seed: int = 0
    currency: str = "USD"
    rates: dict[str, Decimal] = field(default_factory=lambda: {
        "EUR": Decimal("1.0850"), "GBP": Decimal("1.2700"), "CAD": Decimal("0.7300"),
        "JPY": Decimal("0.0067")})
    fee_percent: Decimal = Decimal("3.49")
    fee_fixed: int = 49
    capture_status: str = "COMPLETED"
    now_fixed: dt.datetime | None = None
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    captures: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._private: dict[str, dict[str, int]] = {}  # capture id -> fee parts, refunded
        self._rows: dict[str, dict[str, Any]] = {}  # capture id -> its T0006 row

    # -- basics ------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The account's clock: fixed by the test-control route, else the real time."""
        return self.now_fixed or dt.datetime.now(dt.UTC).replace(microsecond=0)

    def new_id(self, length: int = 17) -> str:
        """A PayPal-style id: upper-case letters and digits."""
        return "".join(self._random.choices(string.ascii_uppercase + string.digits, k=length))

    def _transaction(self, code: str, txn_id: str, minor: int, fee: int, currency: str, *,
                     reference: str | None = None, status: str = "S",
                     record: dict[str, Any] | None = None,
                     at: dt.datetime | None = None) -> dict[str, Any]:
        moment = at or self.now()
        row = {"id": txn_id, "code": code, "amount": minor, "fee": fee, "currency": currency,
               "reference": reference, "status": status, "initiated": moment,
               "updated": moment, "invoice_id": (record or {}).get("invoice_id"),
               "custom_id": (record or {}).get("custom_id"),
               "payer": (record or {}).get("payer")}
        self.transactions.append(row)
        return row

    def _convert(self, minor: int, currency: str, reference: str) -> dict[str, Any] | None:
        """Move ``minor`` of a foreign currency into the account currency (two T0200 rows)."""
        if currency == self.currency:
            return None
        rate = self.rates[currency]
        converted = convert(minor, currency, rate, self.currency)
        self._transaction("T0200", self.new_id(), -minor, 0, currency, reference=reference)
        self._transaction("T0200", self.new_id(), converted, 0, self.currency,
                          reference=reference)
        return {"rate": rate, "converted": converted}

    # -- orders and captures -----------------------------------------------------------

    def create_order(self, request: dict[str, Any]) -> dict[str, Any]:
        """A new order from an order request; the payer is taken to approve it at once."""
        units = request.get("purchase_units") or []
        if request.get("intent") != "CAPTURE" or not units:
            raise PayPalProblem(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER",
                                "intent CAPTURE and at least one purchase unit are required")
        for unit in units:
            amount = unit.get("amount") or {}
            if amount.get("currency_code") not in self.rates | {self.currency: 1}:
                raise PayPalProblem(422, "UNPROCESSABLE_ENTITY", "CURRENCY_NOT_SUPPORTED",
                                    f"currency {amount.get('currency_code')} is not supported")
            _minor(amount)
        order_id = self.new_id()
        order = {
            "id": order_id, "intent": "CAPTURE", "status": "CREATED",
            "create_time": stamp(self.now()),
            "purchase_units": [{"reference_id": u.get("reference_id") or "default",
                                **{k: u[k] for k in ("amount", "invoice_id", "custom_id",
                                                     "description") if k in u}}
                               for u in units],
            "payer": {"payer_id": self.new_id(13), "email_address":
                      f"buyer{len(self.orders) + 1}@example.com",
                      "name": {"given_name": "Sam", "surname": f"Buyer{len(self.orders) + 1}"}},
        }
        self.orders[order_id] = order
        return order

    def capture_order(self, order_id: str) -> dict[str, Any]:
        """Capture every purchase unit of an order."""
        order = self.find("order", order_id)
        if order["status"] == "COMPLETED":
            raise PayPalProblem(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED",
                                "the order has already been captured")
        for unit in order["purchase_units"]:
            capture = self._capture(order, unit)
            unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        order["update_time"] = stamp(self.now())
        return order

    def _capture(self, order: dict[str, Any], unit: dict[str, Any]) -> dict[str, Any]:
        gross = _minor(unit["amount"])
        currency = unit["amount"]["currency_code"]
        percent = int((Decimal(gross) * self.fee_percent / 100).quantize(
            Decimal(1), ROUND_HALF_EVEN))
        fixed = self.fee_fixed if gross > self.fee_fixed + percent else 0
        capture_id = self.new_id()
        now = self.now()
        moment = stamp(now)
        capture = {
            "id": capture_id, "status": self.capture_status, "amount": unit["amount"],
            "final_capture": True, "seller_protection": {"status": "ELIGIBLE"},
            "create_time": moment, "update_time": moment,
            "supplementary_data": {"related_ids": {"order_id": order["id"]}},
            "links": [
                {"href": f"/v2/payments/captures/{capture_id}", "rel": "self", "method": "GET"},
                {"href": f"/v2/payments/captures/{capture_id}/refund", "rel": "refund",
                 "method": "POST"},
                {"href": f"/v2/checkout/orders/{order['id']}", "rel": "up", "method": "GET"}],
        }
        for key in ("invoice_id", "custom_id"):
            if key in unit:
                capture[key] = unit[key]
        self._private[capture_id] = {"gross": gross, "percent": percent, "fixed": fixed,
                                     "refunded": 0, "returned": 0}
        self.captures[capture_id] = capture
        record = {"invoice_id": unit.get("invoice_id"), "custom_id": unit.get("custom_id"),
                  "payer": order["payer"]}
        row = self._transaction("T0006", capture_id, gross, -(percent + fixed), currency,
                                status="S" if self.capture_status == "COMPLETED" else "P",
                                record=record, at=now)
        self._rows[capture_id] = row
        if self.capture_status == "COMPLETED":
            self._complete(capture)
        else:
            self.emit("PAYMENT.CAPTURE.PENDING", "capture", capture)
        return capture

    def _complete(self, capture: dict[str, Any]) -> None:
        parts = self._private[capture["id"]]
        currency = capture["amount"]["currency_code"]
        fee = parts["percent"] + parts["fixed"]
        breakdown: dict[str, Any] = {
            "gross_amount": capture["amount"],
            "paypal_fee": money(fee, currency),
            "net_amount": money(parts["gross"] - fee, currency),
        }
        conversion = self._convert(parts["gross"] - fee, currency, capture["id"])
        if conversion is not None:
            breakdown["receivable_amount"] = money(conversion["converted"], self.currency)
            breakdown["exchange_rate"] = {"source_currency": currency,
                                          "target_currency": self.currency,
                                          "value": str(conversion["rate"])}
        capture["seller_receivable_breakdown"] = breakdown
        self._set_status(capture, "COMPLETED", "S")
        self.emit("PAYMENT.CAPTURE.COMPLETED", "capture", capture)

    def _set_status(self, capture: dict[str, Any], status: str, code: str | None) -> None:
        """Change a capture's status; ``code`` also changes its T0006 row (None: a refund)."""
        moment = self.now()
        capture["status"] = status
        capture["update_time"] = stamp(moment)
        if code is not None:
            self._rows[capture["id"]].update(status=code, updated=moment)

    def settle_capture(self, capture_id: str, outcome: str) -> dict[str, Any]:
        """Complete or deny a pending capture."""
        capture = self._pending(capture_id)
        if outcome == "complete":
            self._complete(capture)
        else:
            self._set_status(capture, "DECLINED", "D")
            self.emit("PAYMENT.CAPTURE.DENIED", "capture", capture)
        return capture

    def _pending(self, capture_id: str) -> dict[str, Any]:
        capture = self.find("capture", capture_id)
        if capture["status"] != "PENDING":
            raise PayPalProblem(422, "UNPROCESSABLE_ENTITY", "CAPTURE_NOT_PENDING",
                                f"capture {capture_id} is {capture['status']}")
        return capture

    def find(self, kind: str, key: str) -> dict[str, Any]:
        """The order, capture or refund ``key``, or PayPal's 404."""
        records = {"order": self.orders, "capture": self.captures, "refund": self.refunds}
        record = records[kind].get(key)
        if record is None:
            raise PayPalProblem(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID",
                                f"{kind} {key} does not exist")
        return record

    # -- refunds and reversals ---------------------------------------------------------------

    def refund(self, capture_id: str, request: dict[str, Any]) -> dict[str, Any]:
        """Refund a completed capture in full (no amount) or in part."""
        capture = self.find("capture", capture_id)
        parts = self._private[capture_id]
        currency = capture["amount"]["currency_code"]
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            raise PayPalProblem(422, "UNPROCESSABLE_ENTITY", "CAPTURE_FULLY_REFUNDED"
                                if capture["status"] == "REFUNDED" else "REFUND_NOT_ALLOWED",
                                f"capture {capture_id} is {capture['status']}")
        remaining = parts["gross"] - parts["refunded"]
        amount = request.get("amount")
        minor = remaining if amount is None else _minor(amount)
        if amount is not None and amount.get("currency_code") != currency:
            raise PayPalProblem(422, "UNPROCESSABLE_ENTITY", "REFUND_CURRENCY_MISMATCH",
                                f"refund currency must be {currency}")
        if minor <= 0 or minor > remaining:
            raise PayPalProblem(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED",
                                f"at most {format_minor(remaining, currency)} can be refunded")
        parts["refunded"] += minor
        returned_total = (parts["percent"] * parts["refunded"]) // parts["gross"]
        returned = returned_total - parts["returned"]
        parts["returned"] = returned_total
        refund_id = self.new_id()
        now = self.now()
        moment = stamp(now)
        breakdown: dict[str, Any] = {
            "gross_amount": money(minor, currency),
            "paypal_fee": money(returned, currency),
            "net_amount": money(minor - returned, currency),
            "total_refunded_amount": money(parts["refunded"], currency),
        }
        refund = {"id": refund_id, "status": "COMPLETED", "amount": money(minor, currency),
                  "seller_payable_breakdown": breakdown, "create_time": moment,
                  "update_time": moment, "links": [_up(capture_id)]}
        for key in ("invoice_id", "custom_id"):
            if key in capture:
                refund[key] = capture[key]
        self._transaction("T1107", refund_id, -minor, returned, currency, reference=capture_id,
                          record=capture, at=now)
        conversion = self._convert(-(minor - returned), currency, refund_id)
        if conversion is not None:
            breakdown["net_amount_breakdown"] = [{
                "payable_amount": money(minor - returned, currency),
                "converted_amount": money(-conversion["converted"], self.currency),
                "exchange_rate": {"source_currency": currency, "target_currency": self.currency,
                                  "value": str(conversion["rate"])}}]
        self.refunds[refund_id] = refund
        self._set_status(capture, "REFUNDED" if parts["refunded"] == parts["gross"]
                         else "PARTIALLY_REFUNDED", None)
        self.emit("PAYMENT.CAPTURE.REFUNDED", "refund", refund)
        return refund

    def reverse(self, capture_id: str, request: dict[str, Any]) -> dict[str, Any]:
        """Withdraw a captured payment (a chargeback, T1201, or reversal, T1106) with a fee."""
        capture = self.find("capture", capture_id)
        parts = self._private[capture_id]
        currency = capture["amount"]["currency_code"]
        minor = parse_minor(str(request["amount"]), currency) if request.get("amount") \
            else parts["gross"] - parts["refunded"]
        fee = parse_minor(str(request.get("fee") or 0), currency)
        code = request.get("code", "T1201")
        reversal_id = self.new_id()
        now = self.now()
        moment = stamp(now)
        reversal = {"id": reversal_id, "status": "COMPLETED", "amount": money(minor, currency),
                    "seller_payable_breakdown": {
                        "gross_amount": money(minor, currency),
                        "paypal_fee": money(fee, currency),
                        "net_amount": money(minor + fee, currency)},
                    "note_to_payer": request.get("reason", "Payment reversed"),
                    "create_time": moment, "update_time": moment,
                    "links": [_up(capture_id)]}
        self._transaction(code, reversal_id, -minor, -fee, currency, reference=capture_id,
                          record=capture, at=now)
        self.emit("PAYMENT.CAPTURE.REVERSED", "refund", reversal)
        return reversal

    def open_dispute(self, capture_id: str, reason: str) -> dict[str, Any]:
        """Open a dispute on a capture: a webhook only; money moves when it is lost."""
        capture = self.find("capture", capture_id)
        moment = stamp(self.now())
        dispute = {"dispute_id": "PP-D-" + self.new_id(8), "reason": reason,
                   "status": "OPEN", "dispute_amount": capture["amount"],
                   "disputed_transactions": [{"seller_transaction_id": capture_id}],
                   "create_time": moment, "update_time": moment}
        self.emit("CUSTOMER.DISPUTE.CREATED", "dispute", dispute)
        return dispute

    # -- balance movements without a capture -------------------------------------------------

    def withdraw(self, minor: int, fee: int = 0, status: str = "S") -> dict[str, Any]:
        """Move money from the PayPal balance to the bank (T0400)."""
        return _detail(self._transaction("T0400", self.new_id(), -minor, -fee, self.currency,
                                         status=status))

    def charge_fee(self, minor: int, code: str = "T0100") -> dict[str, Any]:
        """Charge a fee on its own (T01xx), not withheld from a payment."""
        return _detail(self._transaction(code, self.new_id(), -minor, 0, self.currency))

    # -- webhooks ----------------------------------------------------------------------------

    def emit(self, event_type: str, resource_type: str, resource: dict[str, Any]) -> None:
        """Record a webhook event about ``resource`` as it is now."""
        event_id = "WH-" + self.new_id(20)
        self.events.append({
            "id": event_id, "event_version": "1.0", "create_time": stamp(self.now()),
            "resource_type": resource_type, "resource_version": "2.0",
            "event_type": event_type, "summary": event_type.replace(".", " ").lower(),
            "resource": json.loads(json.dumps(resource)),
            "links": [{"href": f"/v1/notifications/webhooks-events/{event_id}",
                       "rel": "self", "method": "GET"}],
        })

    def search(self, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        """Transaction Search rows initiated in [start, end], oldest first."""
        rows = [t for t in self.transactions if start <= t["initiated"] <= end]
        return [_detail(t) for t in sorted(rows, key=lambda t: t["initiated"])]


def _minor(amount: dict[str, Any]) -> int:
    try:
        return parse_minor(str(amount["value"]), amount["currency_code"])
    except (KeyError, MoneyError) as exc:
        raise PayPalProblem(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE",
                            f"invalid amount {amount!r}: {exc}") from None


def _up(capture_id: str) -> dict[str, str]:
    return {"href": f"/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"}


def _detail(row: dict[str, Any]) -> dict[str, Any]:
    """One Transaction Search ``transaction_detail`` (fields=all)."""
    currency = row["currency"]
    info: dict[str, Any] = {
        "paypal_account_id": "MERCHANT0001",
        "transaction_id": row["id"],
        "transaction_event_code": row["code"],
        "transaction_initiation_date": stamp(row["initiated"]),
        "transaction_updated_date": stamp(row["updated"]),
        "transaction_amount": money(row["amount"], currency),
        "transaction_status": row["status"],
        "protection_eligibility": "01",
    }
    if row["fee"]:
        info["fee_amount"] = money(row["fee"], currency)
    if row["reference"]:
        info["paypal_reference_id"] = row["reference"]
        info["paypal_reference_id_type"] = "TXN"
    if row["invoice_id"]:
        info["invoice_id"] = row["invoice_id"]
    if row["custom_id"]:
        info["custom_field"] = row["custom_id"]
    detail: dict[str, Any] = {"transaction_info": info}
    payer = row["payer"]
    if payer:
        detail["payer_info"] = {
            "account_id": payer["payer_id"], "email_address": payer["email_address"],
            "payer_status": "Y",
            "payer_name": {"given_name": payer["name"]["given_name"],
                           "surname": payer["name"]["surname"]}}
    return detail
