"""The state behind the Ramp emulator: one business's cards, reimbursements and receipts.

Objects are kept as Ramp's API returns them, legacy amounts as exact Decimals.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.money import Money, parse_minor

__all__ = ["Business", "RampError"]

Obj = dict[str, Any]


class RampError(Exception):
    """An API error answered with ``status`` and Ramp's error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _required(data: Obj, name: str) -> Any:
    value = data.get(name)
    if value in (None, ""):
        raise RampError(400, f"{name} is required")
    return value


def _decimal(text: Any, currency: str) -> Decimal:
    """A decimal amount checked against its currency, kept as Decimal (a JSON number)."""
    try:
        return Money(parse_minor(str(text), currency), currency).decimal
    except ValueError as exc:
        raise RampError(400, f"amount: {exc}") from None


@dataclass
class Business:
    """A Ramp business in memory; ``on_event(type, object_id)`` hears every change."""

    on_event: Callable[[str, str], None] = lambda kind, object_id: None
    transactions: dict[str, Obj] = field(default_factory=dict)
    reimbursements: dict[str, Obj] = field(default_factory=dict)
    receipts: dict[str, Obj] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=itertools.count)

    def _id(self) -> str:
        return str(uuid.UUID(int=next(self._ids) + 1))

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            self.transactions.clear()
            self.reimbursements.clear()
            self.receipts.clear()

    def charge(self, data: Obj) -> Obj:
        """A card swipe: a PENDING transaction (``state: CLEARED`` to clear it at once)."""
        currency = data.get("currency_code", "USD")
        amount = _decimal(_required(data, "amount"), currency)
        first, _, last = str(data.get("card_holder", "Alex Doe")).partition(" ")
        with self._lock:
            txn = {
                "id": self._id(), "amount": amount, "currency_code": currency,
                "original_transaction_amount": {
                    "amount": parse_minor(amount, currency), "currency_code": currency},
                "merchant_id": data.get("merchant_id") or self._id(),
                "merchant_name": _required(data, "merchant_name"),
                "merchant_descriptor": data.get("merchant_descriptor",
                                                str(data["merchant_name"]).upper()),
                "merchant_category_code": str(data.get("merchant_category_code", "5999")),
                "sk_category_name": data.get("sk_category_name"),
                "user_transaction_time": data.get("user_transaction_time", _now()),
                "card_id": data.get("card_id", "card-1"),
                "card_holder": {"user_id": data.get("user_id", "user-1"), "first_name": first,
                                "last_name": last, "department_name": data.get("department")},
                "accounting_categories": data.get("accounting_categories", []),
                "memo": data.get("memo"), "receipts": [],
                "state": data.get("state", "PENDING"),
            }
            self.transactions[txn["id"]] = txn
        self.on_event("transactions.authorized", txn["id"])
        if txn["state"] == "CLEARED":
            self.on_event("transactions.cleared", txn["id"])
        return txn

    def clear(self, transaction_id: str) -> Obj:
        """Settle a pending transaction."""
        with self._lock:
            txn = self._get(self.transactions, transaction_id, "transaction")
            txn["state"] = "CLEARED"
        self.on_event("transactions.cleared", transaction_id)
        return txn

    def claim(self, data: Obj) -> Obj:
        """An employee's out-of-pocket expense, filed for reimbursement (PENDING).

        ``state: APPROVED`` files it already approved.
        """
        currency = data.get("currency", "USD")
        with self._lock:
            claim = {
                "id": self._id(), "amount": _decimal(_required(data, "amount"), currency),
                "currency": currency, "merchant": data.get("merchant"),
                "user_id": data.get("user_id", "user-1"),
                "user_full_name": data.get("user_full_name", "Alex Doe"),
                "transaction_date": data.get("transaction_date", dt.date.today().isoformat()),
                "created_at": _now(), "updated_at": _now(), "payment_processed_at": None,
                "receipts": [], "memo": data.get("memo"), "type": "OUT_OF_POCKET",
                "state": data.get("state", "PENDING"),
                "accounting_categories": data.get("accounting_categories", []),
            }
            self.reimbursements[claim["id"]] = claim
        self.on_event("reimbursements.submitted", claim["id"])
        return claim

    def approve(self, reimbursement_id: str) -> Obj:
        """A manager approves the claim: the company now owes the employee."""
        with self._lock:
            claim = self._get(self.reimbursements, reimbursement_id, "reimbursement")
            claim["state"] = "APPROVED"
            claim["updated_at"] = _now()
        self.on_event("reimbursements.approved", reimbursement_id)
        return claim

    def reimburse(self, reimbursement_id: str, paid_at: str | None = None) -> Obj:
        """Pay the employee back."""
        with self._lock:
            claim = self._get(self.reimbursements, reimbursement_id, "reimbursement")
            claim["state"] = "REIMBURSED"
            claim["payment_processed_at"] = paid_at or _now()
            claim["updated_at"] = claim["payment_processed_at"]
        self.on_event("reimbursements.reimbursed", reimbursement_id)
        return claim

    def attach(self, transaction_id: str, data: Obj) -> Obj:
        """A receipt uploaded for a transaction (Ramp matches these itself)."""
        with self._lock:
            txn = self._get(self.transactions, transaction_id, "transaction")
            receipt = {"id": self._id(), "transaction_id": transaction_id,
                       "user_id": txn["card_holder"]["user_id"], "created_at": _now(),
                       "receipt_url": data.get("receipt_url",
                                               f"https://receipts.example/{transaction_id}")}
            self.receipts[receipt["id"]] = receipt
            txn["receipts"].append(receipt["id"])
        self.on_event("transactions.updated", transaction_id)
        return receipt

    def listing(self, kind: str, params: Obj) -> list[Obj]:
        """Objects of ``kind`` newest first, filtered by ``from_date``/``to_date``."""
        table, key = {"transactions": (self.transactions, "user_transaction_time"),
                      "reimbursements": (self.reimbursements, "created_at"),
                      "receipts": (self.receipts, "created_at")}[kind]
        low, high = params.get("from_date"), params.get("to_date")
        with self._lock:
            rows = [dict(r) for r in table.values()
                    if (low is None or _at(r[key]) >= _at(low))
                    and (high is None or _at(r[key]) <= _at(high))]
        return sorted(rows, key=lambda r: (r[key], r["id"]), reverse=True)

    def one(self, kind: str, object_id: str) -> Obj:
        """One object of ``kind`` (404 if there is none)."""
        table = {"transactions": self.transactions, "reimbursements": self.reimbursements,
                 "receipts": self.receipts}[kind]
        with self._lock:
            return dict(self._get(table, object_id, kind.rstrip("s")))

    @staticmethod
    def _get(table: dict[str, Obj], object_id: str, what: str) -> Obj:
        if object_id not in table:
            raise RampError(404, f"{what} {object_id} not found")
        return table[object_id]


def _at(value: str) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
