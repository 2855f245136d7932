"""The values anomaly checks read and return: money going out, and flags."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import utils

__all__ = ["Flag", "FlagKind", "Outflow", "Posting", "fingerprint", "vendor_key"]

_LEGAL_FORMS = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|gmbh|ag|sa|sas|sarl|bv|nv|plc|co|corp|"
    r"corporation|company|oy|ab|as|srl|spa)\b")
_SPACES = re.compile(r"\s+")


class FlagKind(StrEnum):
    """What a flag says is wrong."""

    DUPLICATE_BILL = "duplicate_bill"  # the same vendor invoice entered twice
    DUPLICATE_PAYMENT = "duplicate_payment"  # the same money paid out twice
    UNUSUAL_AMOUNT = "unusual_amount"  # far from what this vendor is usually paid
    BANK_ACCOUNT_CHANGE = "bank_account_change"  # paid soon after the vendor's account changed
    UNUSUAL_ACCOUNT = "unusual_account"  # posted to an account this vendor never uses
    ROUND_OR_WEEKEND = "round_or_weekend"  # a large manual entry: round, or on a weekend

    @property
    def duplicate(self) -> bool:
        """Whether the kind is a duplicate (counted as a duplicate payment prevented)."""
        return self in (FlagKind.DUPLICATE_BILL, FlagKind.DUPLICATE_PAYMENT)


def vendor_key(name: str) -> str:
    """A vendor name reduced for comparison: lower case, no punctuation or legal form."""
    reduced = _LEGAL_FORMS.sub(" ", utils.default_process(name))
    return _SPACES.sub(" ", reduced).strip() or utils.default_process(name)


@dataclass(frozen=True, slots=True)
class Outflow:
    """Money going (or about to go) to a vendor, from any source.

    Attributes:
        key: the record it comes from: ``bill:qbo/145`` (type:connection/external id) or
            ``bank_line:7``.
        kind: bill (an obligation), payment, card, refund, expense, bank (a bank
            debit), or contact (a vendor's bank details seen, amount zero).
        channel: what carried the money: bank, card, processor; empty for bills.
        vendor: ``vendor_key`` of the vendor's name; vendor_name as the source wrote it.
        number: the vendor's invoice number (bills) or the bill a payment applies to.
        amount: positive minor units of ``currency``.
        account: the vendor's bank account this record names (IBAN or number).

    """

    key: str
    kind: str
    channel: str
    vendor: str
    vendor_name: str
    number: str | None
    amount: int
    currency: str
    date: dt.date
    account: str | None = None

    @property
    def pays(self) -> bool:
        """Whether the record is money leaving (not a bill, not a vendor's details)."""
        return self.kind not in ("bill", "contact")


@dataclass(frozen=True, slots=True)
class Posting:
    """A journal line, with the vendor of its entry, for the account-usage check.

    Attributes:
        key: ``journal_line:ID``.
        party: the entry's party (the vendor), reduced by ``vendor_key``.
        account: the account code; account_name its name.

    """

    key: str
    party: str
    account: str
    account_name: str
    date: dt.date
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class Flag:
    """One anomaly: its kind, why, how sure (0-1) and the records it names.

    Attributes:
        records: keys of the records involved, in the order the reason names them.
        amount: the money at stake, in minor units of ``currency``.
        subject: what, besides kind and records, makes the flag the same one when
            it is found again (a vendor's new bank account).

    """

    kind: FlagKind
    reason: str
    score: float
    records: tuple[str, ...]
    amount: int | None = None
    currency: str | None = None
    subject: str = ""

    @property
    def fingerprint(self) -> str:
        """Stable identity: the same anomaly found again has the same fingerprint."""
        return fingerprint(self.kind, self.records, self.subject)


def fingerprint(kind: str, records: tuple[str, ...], subject: str = "") -> str:
    """SHA-256 of the kind, the sorted record keys and the subject."""
    text = "|".join((kind, *sorted(records), subject))
    return hashlib.sha256(text.encode()).hexdigest()
