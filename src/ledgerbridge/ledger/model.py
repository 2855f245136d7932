"""Ledger values: small immutable types for accounts, entries and their lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ledgerbridge.money import Money

__all__ = [
    "Account",
    "AccountType",
    "Entry",
    "JournalEntry",
    "JournalLine",
    "LedgerError",
    "Line",
    "Lineage",
    "PeriodStatus",
    "PostingError",
]

AccountCode = str
"""An account's code in its entity's chart, such as ``"1000"``."""


class LedgerError(Exception):
    """A ledger operation refused, with a reason a person can act on."""


class PostingError(LedgerError):
    """An entry that cannot be posted; names the entry and the reason."""

    def __init__(self, reason: str, *, record: str | None = None) -> None:
        self.reason = reason
        self.record = record
        super().__init__(f"{record}: {reason}" if record else reason)


class AccountType(StrEnum):
    """The five account classes of double-entry bookkeeping."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        """True for types whose balance is normally a debit (assets, expenses)."""
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class PeriodStatus(StrEnum):
    """State of an accounting month; months with no row are open."""

    OPEN = "open"
    CLOSED = "closed"  # postings need an explicit override (adjusting entries)
    LOCKED = "locked"  # no postings at all


@dataclass(frozen=True, slots=True)
class Account:
    """One account of an entity's chart.

    Attributes:
        code: unique within the entity, e.g. "1200".
        name: what people call it.
        type: asset, liability, equity, income or expense.
        subtype: finer role used by reports and rules ("bank", "receivable", "payable" ...).
        parent: code of the parent account in the hierarchy, if any.

    """

    code: AccountCode
    name: str
    type: AccountType
    subtype: str | None = None
    parent: AccountCode | None = None
    description: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Lineage:
    """Where an entry came from: enough to walk back to the source document."""

    connection: str | None = None
    object_type: str | None = None
    external_id: str | None = None
    document_id: str | None = None
    raw_payload_id: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an entry to post: a signed amount, debit positive.

    ``rate`` converts ``amount.currency`` into the entity's functional currency
    (functional units per one unit of the line's currency); it is required when the
    two differ and must be omitted or 1 when they are the same. ``tax_code`` marks a
    tax line and the net line the tax was charged on (``"GB-20"``, ``"EXEMPT"`` ...).
    """

    account: AccountCode
    amount: Money
    rate: Decimal | None = None
    memo: str | None = None
    party: str | None = None
    due_date: dt.date | None = None
    tax_code: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A journal entry to post. Lines are a tuple: an entry never grows after creation."""

    date: dt.date
    lines: tuple[Line, ...]
    memo: str = ""
    lineage: Lineage = field(default_factory=Lineage)
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class JournalLine:
    """A posted line: the functional amount plus the original amount and rate."""

    line_no: int
    account: AccountCode
    account_name: str
    amount: Money
    original: Money
    rate: Decimal | None
    memo: str | None
    party: str | None
    due_date: dt.date | None
    tax_code: str | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A posted, immutable journal entry as read back from the ledger."""

    id: int
    entity: str
    date: dt.date
    memo: str
    posted_at: dt.datetime
    lines: tuple[JournalLine, ...]
    lineage: Lineage
    idempotency_key: str | None = None
    reverses_id: int | None = None
    reversed_by_id: int | None = None
