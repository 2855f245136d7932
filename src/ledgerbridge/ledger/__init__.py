"""The double-entry ledger: accounts, entries, posting, periods, reports and exports."""

from ledgerbridge.ledger.book import Entity, Ledger, PostResult
from ledgerbridge.ledger.model import (
    Account,
    AccountType,
    Entry,
    JournalEntry,
    JournalLine,
    LedgerError,
    Line,
    Lineage,
    PeriodStatus,
    PostingError,
)

__all__ = [
    "Account",
    "AccountType",
    "Entity",
    "Entry",
    "JournalEntry",
    "JournalLine",
    "Ledger",
    "LedgerError",
    "Line",
    "Lineage",
    "PeriodStatus",
    "PostResult",
    "PostingError",
]
