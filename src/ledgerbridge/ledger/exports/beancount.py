"""Beancount export: the entity's journal as a file ``bean-check`` accepts.

Accounts become ``Assets:1010-Checking-Account`` (root from the account type, then
code and name reduced to letters, digits and dashes). Each transaction carries its
ledgerbridge id and lineage as metadata; a reversal and the entry it reverses share
the link ``^lb-reversal-ID``. Foreign-currency postings keep their original amount
with a total price in the functional currency, so every posting weighs exactly the
functional amount stored in the ledger.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import TextIO

from ledgerbridge.ledger.book import Ledger
from ledgerbridge.ledger.exports._journal import (
    ExportAccount,
    Journal,
    Progress,
    half_unit,
    lineage_fields,
    one_line,
    posting_amount,
    reversal_group,
    write_journal,
)
from ledgerbridge.ledger.model import AccountType, JournalEntry

__all__ = ["account_name", "write_beancount"]

ROOTS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}
_WORD = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})  # beancount's [\p{L}\p{Nd}]
_FIRST = frozenset({"Lu", "Nd"})
_DASHES = re.compile(r"-{2,}")


def write_beancount(
    ledger: Ledger,
    out: TextIO,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the entity's entries dated ``start``..``end`` (inclusive) as beancount.

    Entries stream from the database in date then id order; returns the number of
    transactions written. ``progress`` is called with counts of written ones.
    """
    return write_journal(ledger, out, account_name=account_name, header=_header,
                         transaction=_transaction, start=start, end=end, progress=progress)


def account_name(account: ExportAccount) -> str:
    """Beancount name of an account: ``Assets:1010-Checking-Account`` (not deduplicated)."""
    text = unicodedata.normalize("NFC", f"{account.code} {account.name}")
    kept = "".join(c if unicodedata.category(c) in _WORD else "-" for c in text)
    component = _DASHES.sub("-", kept).strip("-") or "Account"
    if unicodedata.category(component[0]) not in _FIRST:
        upper = component[0].upper()
        if len(upper) == 1 and unicodedata.category(upper) in _FIRST:
            component = upper + component[1:]
        else:
            component = f"Acct-{component}"
    return f"{ROOTS[account.type]}:{component}"


def _header(out: TextIO, journal: Journal, names: dict[str, str], start: dt.date | None) -> None:
    functional = journal.functional
    out.write(
        f"; Journal of {one_line(journal.entity_name)} (entity {journal.entity_code!r}),"
        " exported by ledgerbridge.\n"
        f"option \"title\" {_string(journal.entity_name)}\n"
        f"option \"operating_currency\" \"{functional}\"\n"
        "; A total price (@@) is divided into a unit price with 28 significant digits;\n"
        "; half a minor unit of tolerance absorbs that division's rounding.\n"
        f"option \"inferred_tolerance_default\" \"{functional}:{half_unit(functional)}\"\n\n"
    )
    for currency, day in journal.currencies.items():
        out.write(f"{day} commodity {currency}\n")
    if journal.currencies:
        out.write("\n")
    # Unused accounts open with the first entry, so the whole chart is present.
    default_day = start or journal.first_date
    for account in journal.accounts:
        day = account.first_use or default_day
        if day is None:
            continue
        out.write(
            f"{day} open {names[account.code]}\n"
            f"  lb-code: {_string(account.code)}\n"
            f"  lb-name: {_string(account.name)}\n"
        )
    out.write("\n")


def _transaction(entry: JournalEntry, names: dict[str, str], width: int) -> str:
    head = f"{entry.date} * {_string(entry.memo)}"
    reversal = reversal_group(entry)
    if reversal is not None:
        head += f" ^lb-reversal-{reversal}"
    parts = [head, "\n"]
    parts.extend(f"  {key}: {_string(value)}\n" for key, value in lineage_fields(entry))
    for line in entry.lines:
        units, price = posting_amount(line)
        posting = f"  {names[line.account]:<{width}}  {units:>16}"
        if price is not None:
            posting += f" @@ {price}"
        parts.append(posting + "\n")
        if line.memo:
            parts.append(f"    lb-memo: {_string(line.memo)}\n")
        if line.party:
            parts.append(f"    lb-party: {_string(line.party)}\n")
        if line.due_date is not None:
            parts.append(f"    lb-due-date: {line.due_date}\n")
        if line.tax_code:
            parts.append(f"    lb-tax-code: {_string(line.tax_code)}\n")
        if line.rate is not None:
            parts.append(f"    lb-rate: {format(line.rate, 'f')}\n")
        if price is None and line.original.currency != line.amount.currency:
            parts.append(f"    lb-original: {_string(str(line.original))}\n")
    parts.append("\n")
    return "".join(parts)


def _string(text: str) -> str:
    """A beancount string literal; newlines are allowed inside one."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

