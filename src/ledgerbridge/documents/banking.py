"""Lines of bank statements and bank feeds."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from ledgerbridge.documents.common import Amount, CanonicalModel, CurrencyCode, Document
from ledgerbridge.documents.parties import Iban

__all__ = ["BankTransaction", "Counterparty"]


class Counterparty(CanonicalModel):
    """The other side of a bank transaction, as the bank reports it."""

    name: str | None = None
    iban: Iban | None = None
    account_number: str | None = None
    bic: str | None = None


class BankTransaction(Document):
    """One line of a bank account: a signed amount, positive money in.

    Attributes:
        account: account hint of our bank account (code, name, IBAN or number).
        booking_date: when the bank booked it.
        value_date: when it took value, if the bank says.
        amount: signed: positive is money in, negative money out.
        bank_reference: the bank's unique id for the line (OFX FITID, camt AcctSvcrRef).
        end_to_end_id: the payer's reference carried through (SEPA EndToEndId).
        pending: not yet booked; may still change or vanish.
        balance: the running balance after this line, when the feed gives it.

    """

    type: Literal["bank_transaction"] = "bank_transaction"
    account: str = Field(min_length=1)
    booking_date: dt.date
    value_date: dt.date | None = None
    amount: Amount
    currency: CurrencyCode
    description: str = ""
    counterparty: Counterparty | None = None
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    kind: Literal["debit", "credit", "fee", "interest", "transfer", "other"] | None = None
    pending: bool = False
    balance: Amount | None = None
