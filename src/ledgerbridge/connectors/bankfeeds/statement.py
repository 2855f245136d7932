"""What every statement parser produces, whatever the format.

A parser turns a file into :class:`Statement` values: the account, its currency,
opening and closing balances when the format gives them, and the lines. Amounts are
exact :class:`~ledgerbridge.money.Money`, signed: positive is money in. Each line
keeps the bank's own id for it when there is one (OFX FITID, camt AcctSvcrRef,
MT940 bank reference) and the raw record it came from, for the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from ledgerbridge.money import Money

__all__ = ["Balance", "Statement", "StatementError", "StatementFormat", "StatementLine"]


class StatementError(ValueError):
    """A statement that cannot be read; names the file or record and the reason."""

    def __init__(self, reason: str, *, record: str | None = None) -> None:
        self.reason = reason
        self.record = record
        super().__init__(f"{record}: {reason}" if record else reason)


@dataclass(frozen=True, slots=True)
class Balance:
    """A balance the bank states at a date."""

    date: dt.date
    amount: Money


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booked (or pending) line of a bank account.

    Attributes:
        booking_date: when the bank booked it.
        amount: signed, positive is money in.
        description: the text the bank shows (remittance information, memo, name).
        bank_reference: the bank's unique id for the line, when the format has one.
        end_to_end_id: the payer's reference carried through (SEPA), if any.
        counterparty: the other party's name, and ``counterparty_account`` its IBAN
            or account number, when given.
        kind: the bank's transaction code or type, as given (e.g. "NTRF", "DEBIT").
        pending: not yet booked (camt.052 / MT942 / pending feed lines).
        raw: the source record, as text.
        original: what the payer sent when the bank converted it (camt
            ``InstdAmt``/``TxAmt``, OFX ``CURRENCY``/``ORIGCURRENCY``), signed like
            ``amount``; None when the line was not converted.
        exchange_rate: the bank's rate, units of ``amount``'s currency per one unit
            of ``original``'s, when the format gives it.
        mcc: the card merchant's category code (ISO 18245, four digits), when the
            format carries one (OFX ``SIC``).
        category_code: a feed's own category of the line (Plaid's
            ``personal_finance_category``), when it gives one.

    """

    booking_date: dt.date
    amount: Money
    description: str = ""
    value_date: dt.date | None = None
    bank_reference: str | None = None
    end_to_end_id: str | None = None
    counterparty: str | None = None
    counterparty_account: str | None = None
    kind: str | None = None
    pending: bool = False
    raw: str = ""
    original: Money | None = None
    exchange_rate: Decimal | None = None
    mcc: str | None = None
    category_code: str | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """The lines of one account in one file (a file may hold several)."""

    account: str  # IBAN, account number or the bank's account id, as the file gives it
    currency: str
    lines: tuple[StatementLine, ...]
    opening: Balance | None = None
    closing: Balance | None = None
    statement_id: str | None = None
    format: str = ""


class StatementFormat(Protocol):
    """A statement format: recognize a file, then read its statements."""

    name: str

    def identify(self, data: bytes) -> bool:
        """Whether ``data`` looks like this format (cheap; no full parse)."""

    def parse(self, data: bytes) -> list[Statement]:
        """Read every statement in ``data``; raise StatementError naming the record."""
