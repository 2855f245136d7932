"""Ramp objects as canonical documents: card transactions and reimbursements become Expenses.

- A **card transaction** in state ``CLEARED`` is an Expense paid by the company card
  (``payment_method: card``): the expense against the card liability. Its one line
  carries an account hint: the GL account picked in Ramp's accounting categories when
  there is one, else the category of its merchant category code (``mcc.category``).
  Pending, declined and errored transactions move no money and post nothing.
- An approved **reimbursement** is an Expense the employee paid (``reimbursable:
  true``): the expense against reimbursements owed to that employee. A claim not yet
  approved (or rejected) is owed to nobody and posts nothing. Once Ramp reports it
  ``REIMBURSED``, it is also a Payment sent to the employee (object type
  ``reimbursement_payment``) that clears what is owed from the bank.
- Receipts Ramp holds are named on the Expense as ``ramp:receipt:<id>``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledgerbridge.connectors.ramp.amounts import AmountError, money
from ledgerbridge.connectors.ramp.mcc import category
from ledgerbridge.documents import Document, Expense, Payment, Ref, Source
from ledgerbridge.sync.errors import FatalError

__all__ = ["OWED_STATES", "PAID_STATES", "POSTED_STATES", "Normalizer", "receipt_ref"]

Obj = dict[str, Any]
POSTED_STATES = frozenset({"CLEARED"})
"""Card transaction states that post; the others have moved no money yet (or never will)."""
PAID_STATES = frozenset({"REIMBURSED"})
"""Reimbursement states in which the employee has been paid."""
OWED_STATES = frozenset({"APPROVED"}) | PAID_STATES
"""Reimbursement states that post: the company owes (or has paid) the employee."""
GL_ACCOUNT = "GL_ACCOUNT"


def receipt_ref(receipt_id: str) -> str:
    """How an Expense names a receipt that Ramp keeps."""
    return f"ramp:receipt:{receipt_id}"


def _day(value: Any, what: str) -> dt.date:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is missing")
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date() \
        if "T" in value else dt.date.fromisoformat(value)


def _person(holder: Obj | None, user_id: Any = None, full_name: Any = None) -> Ref | None:
    holder = holder or {}
    ident = holder.get("user_id") or user_id
    name = " ".join(p for p in (holder.get("first_name"), holder.get("last_name")) if p)
    name = name or full_name or None
    if not ident and not name:
        return None
    return Ref(external_id=str(ident) if ident else None, name=name) if ident \
        else Ref(external_id=str(name), name=name)


def _gl_account(obj: Obj) -> str | None:
    for chosen in obj.get("accounting_categories") or ():
        if chosen.get("tracking_category_remote_type") == GL_ACCOUNT:
            return chosen.get("category_name") or chosen.get("category_id")
    return None


class Normalizer:
    """Builds the documents of one connection's Ramp objects."""

    def __init__(self, connection: str) -> None:
        self.connection = connection

    def documents(self, kind: str, obj: Obj) -> list[Document]:
        """The documents of a ``transaction`` or ``reimbursement`` object."""
        try:
            if kind == "transaction":
                return self._transaction(obj)
            if kind == "reimbursement":
                return self._reimbursement(obj)
        except (AmountError, ValueError, KeyError, TypeError) as exc:
            raise FatalError(f"Ramp {kind} {obj.get('id')}: {exc}", connection=self.connection,
                             stream=f"{kind}s", record=str(obj.get("id"))) from None
        raise FatalError(f"Ramp object kind {kind!r} carries no documents",
                         connection=self.connection, record=str(obj.get("id")))

    def _source(self, object_type: str, obj: Obj) -> Source:
        return Source(connection=self.connection, object_type=object_type,
                      external_id=str(obj["id"]))

    def _transaction(self, obj: Obj) -> list[Document]:
        if obj.get("state") not in POSTED_STATES:
            return []
        amount = money(obj["amount"], obj.get("currency_code"))
        merchant = obj.get("merchant_name") or obj.get("merchant_descriptor")
        mcc = obj.get("merchant_category_code")
        receipts = obj.get("receipts") or ()
        description = obj.get("merchant_descriptor") or merchant
        return [Expense(
            source=self._source("transaction", obj),
            date=_day(obj.get("user_transaction_time"), "user_transaction_time"),
            currency=amount.currency,
            vendor=Ref(external_id=str(obj.get("merchant_id") or merchant), name=merchant)
            if merchant else None,
            employee=_person(obj.get("card_holder")),
            payment_method="card",
            receipt=receipt_ref(str(receipts[0])) if receipts else None,
            memo=obj.get("memo") or None,
            lines=({"description": f"{description} (MCC {mcc})" if mcc else description,
                    "amount": amount, "account": _gl_account(obj) or category(mcc)},),
        )]

    def _reimbursement(self, obj: Obj) -> list[Document]:
        state = obj.get("state")
        if state not in OWED_STATES:
            return []
        amount = money(obj["amount"], obj.get("currency"))
        employee = _person(None, obj.get("user_id"), obj.get("user_full_name"))
        if employee is None:
            raise ValueError("it names no employee (user_id or user_full_name)")
        receipts = obj.get("receipts") or ()
        merchant = obj.get("merchant")
        expense = Expense(
            source=self._source("reimbursement", obj),
            date=_day(obj.get("transaction_date") or obj.get("created_at"), "transaction_date"),
            currency=amount.currency,
            vendor=Ref(external_id=str(merchant), name=merchant) if merchant else None,
            employee=employee,
            reimbursable=True,
            payment_method="other",
            receipt=receipt_ref(str(receipts[0])) if receipts else None,
            memo=obj.get("memo") or None,
            lines=({"description": merchant or obj.get("type") or "Reimbursement",
                    "amount": amount, "account": _gl_account(obj)},),
        )
        if state not in PAID_STATES:
            return [expense]
        paid = obj.get("payment_processed_at") or obj.get("updated_at")
        payment = Payment(
            source=self._source("reimbursement_payment", obj),
            direction="sent", date=_day(paid, "payment_processed_at"),
            amount=amount, currency=amount.currency, method="bank_transfer",
            contact=employee, reference=str(obj["id"]),
            memo=f"Reimbursement to {employee.name or employee.external_id}",
        )
        return [expense, payment]
