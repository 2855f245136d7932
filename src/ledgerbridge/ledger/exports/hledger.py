"""hledger export: the entity's journal as an hledger (1.25+) journal file.

Accounts become ``assets:1010 Checking Account`` (root from the account type, then
code and name), declared with ``account`` directives carrying ``type:`` tags.
Transactions use the entry id as their code and carry the id and lineage as tags;
a reversal and the entry it reverses share the tag ``lb-reversal:ID``. Foreign
postings keep their original amount with a total price (``@@``) in the functional
currency, so ``hledger bal --cost`` shows exactly the ledger's functional balances.
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
    lineage_fields,
    one_line,
    posting_amount,
    reversal_group,
    write_journal,
)
from ledgerbridge.ledger.model import AccountType, JournalEntry
from ledgerbridge.money import currency_exponent

__all__ = ["account_name", "write_hledger"]

ROOTS = {
    AccountType.ASSET: ("assets", "A"),
    AccountType.LIABILITY: ("liabilities", "L"),
    AccountType.EQUITY: ("equity", "E"),
    AccountType.INCOME: ("revenues", "R"),
    AccountType.EXPENSE: ("expenses", "X"),
}
_SPACES = re.compile(r"\s+")
# Tag values end at a comma or a line end: those (and %) are percent-encoded.
_TAG_ESCAPES = str.maketrans({"%": "%25", ",": "%2C", "\n": "%0A", "\r": "%0D"})


def write_hledger(
    ledger: Ledger,
    out: TextIO,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the entity's entries dated ``start``..``end`` (inclusive) as an hledger journal.

    Entries stream from the database in date then id order; returns the number of
    transactions written. ``progress`` is called with counts of written ones.
    """
    return write_journal(ledger, out, account_name=account_name, header=_header,
                         transaction=_transaction, start=start, end=end, progress=progress)


def account_name(account: ExportAccount) -> str:
    """The hledger name of an account: ``assets:1010 Checking Account`` (not deduplicated).

    Colons would start a sub-account and two spaces end the name, so colons become
    dashes and any run of whitespace or control characters one space.
    """
    text = unicodedata.normalize("NFC", f"{account.code} {account.name}").replace(":", "-")
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    component = _SPACES.sub(" ", text).strip() or "account"
    return f"{ROOTS[account.type][0]}:{component}"


def _header(out: TextIO, journal: Journal, names: dict[str, str], _start: dt.date | None
            ) -> None:
    functional = journal.functional
    out.write(
        f"; Journal of {one_line(journal.entity_name)} (entity {journal.entity_code!r}),"
        " exported by ledgerbridge.\n"
        f"; Functional currency {functional}: foreign postings carry a total price (@@)\n"
        f"; in {functional}, so `hledger bal --cost` reports {functional} balances.\n"
        "decimal-mark .\n\n"
    )
    for currency in sorted({functional, *journal.currencies}):
        exponent = currency_exponent(currency)
        out.write(f"commodity 1000.{'0' * exponent} {currency}\n")
    out.write("\n")
    for account in journal.accounts:
        kind = ROOTS[account.type][1]
        out.write(
            f"account {names[account.code]}  ; type: {kind}, lb-code:{_tag(account.code)}\n"
        )
    out.write("\n")


def _transaction(entry: JournalEntry, names: dict[str, str], width: int) -> str:
    parts = [f"{entry.date} * ({entry.id}) {_description(entry.memo)}".rstrip(), "\n"]
    parts.extend(f"    ; {key}:{_tag(value)}\n" for key, value in lineage_fields(entry))
    reversal = reversal_group(entry)
    if reversal is not None:
        parts.append(f"    ; lb-reversal:{reversal}\n")
    for line in entry.lines:
        units, price = posting_amount(line)
        posting = f"    {names[line.account]:<{width}}  {units:>16}"
        if price is not None:
            posting += f" @@ {price}"
        parts.append(posting + "\n")
        tags = [("lb-memo", line.memo), ("lb-party", line.party),
                ("lb-tax-code", line.tax_code)]
        if line.due_date is not None:
            tags.append(("lb-due-date", str(line.due_date)))
        if line.rate is not None:
            tags.append(("lb-rate", format(line.rate, "f")))
        if price is None and line.original.currency != line.amount.currency:
            tags.append(("lb-original", str(line.original)))
        parts.extend(f"        ; {key}:{_tag(value)}\n" for key, value in tags if value)
    parts.append("\n")
    return "".join(parts)


def _description(memo: str) -> str:
    # A description ends at ';' (a comment) or a line end; hledger has no escapes.
    return one_line(memo.replace(";", ","))


def _tag(value: str) -> str:
    return value.translate(_TAG_ESCAPES)

