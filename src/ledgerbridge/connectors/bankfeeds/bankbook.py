"""The bank book: statement lines stored once each, however often they arrive.

Each line gets a key: the bank's own id for it (FITID, AcctSvcrRef ...) when the
format has one, else a hash of its date, amount, currency, text and counterparty.
Identical lines are legitimate (two coffees of the same price on one day), so the
n-th line with a key in a file is stored as occurrence n: importing the same or an
overlapping statement again adds nothing, while two identical lines in one
statement are both kept. A booked line that turns up where a pending one was
(same account and amount, a few days apart) updates it instead of doubling it. A
line that is only probably a duplicate of a stored one (same amount and date
window, similar text, different key) is stored with status ``review``, neither
dropped nor silently doubled. The imported file itself is kept, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy import Connection, and_, insert, select, update

from ledgerbridge.connectors.bankfeeds.statement import Statement, StatementError, StatementLine
from ledgerbridge.ledger import AccountType, Ledger, LedgerError
from ledgerbridge.store.tables import accounts, bank_imports, bank_lines

__all__ = ["ImportResult", "import_statements", "line_key"]

PENDING_WINDOW = dt.timedelta(days=5)
DUPLICATE_WINDOW = dt.timedelta(days=2)
SIMILAR_TEXT = 85  # rapidfuzz token-set ratio from which two texts are "the same"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did, line by line."""

    import_id: int
    format: str
    read: int
    added: int
    updated: int
    duplicates: int
    review: int


def line_key(line: StatementLine) -> str:
    """The line's deduplication key: the bank's id, else a hash of what it says."""
    if line.bank_reference:
        return f"ref:{line.bank_reference}"[:160]
    text = " ".join(line.description.split()).casefold()
    facts = "|".join((line.booking_date.isoformat(), str(line.amount.minor),
                      line.amount.currency, text, (line.counterparty or "").casefold()))
    return "hash:" + hashlib.sha256(facts.encode()).hexdigest()


def import_statements(
    ledger: Ledger,
    account: str,
    statements: list[Statement],
    *,
    file_name: str,
    content: bytes,
) -> ImportResult:
    """Store the statements' lines on ledger account ``account``, in one transaction."""
    if not statements:
        raise StatementError("the file holds no statement", record=file_name)
    held = sorted({s.account for s in statements})
    if len(held) > 1:
        raise StatementError(
            f"the file holds several accounts ({', '.join(held)}); import one file per account",
            record=file_name,
        )
    with ledger.engine.begin() as conn:
        account_id = _bank_account(conn, ledger, account)
        import_id = conn.execute(insert(bank_imports).values(
            entity_id=ledger.entity.id, account_id=account_id, file_name=file_name,
            file_sha256=hashlib.sha256(content).hexdigest(), format=statements[0].format,
            content=content, lines_read=0, lines_added=0, lines_updated=0, lines_review=0,
        )).inserted_primary_key[0]
        seen: Counter[str] = Counter()
        tally: Counter[str] = Counter()
        for statement in statements:
            for line in statement.lines:
                key = line_key(line)
                seen[key] += 1
                tally[_store(conn, ledger, account_id, import_id, line, key, seen[key])] += 1
        read = sum(tally.values())
        conn.execute(update(bank_imports).where(bank_imports.c.id == import_id).values(
            lines_read=read, lines_added=tally["added"], lines_updated=tally["updated"],
            lines_review=tally["review"]))
    return ImportResult(import_id, statements[0].format, read, tally["added"], tally["updated"],
                        tally["duplicate"], tally["review"])


def _bank_account(conn: Connection, ledger: Ledger, code: str) -> int:
    row = conn.execute(select(accounts.c.id, accounts.c.type).where(
        accounts.c.entity_id == ledger.entity.id, accounts.c.code == code)).first()
    if row is None:
        raise LedgerError(f"no account {code!r} in entity {ledger.entity.code!r}")
    if row.type not in (AccountType.ASSET, AccountType.LIABILITY):
        raise LedgerError(f"account {code!r} is {row.type}: a bank or card account is an "
                          "asset or a liability")
    return row.id


def _store(conn: Connection, ledger: Ledger, account_id: int, import_id: int,
           line: StatementLine, key: str, occurrence: int) -> str:
    """Store one line; returns what happened: added, updated, duplicate or review."""
    same = conn.execute(select(bank_lines.c.id, bank_lines.c.pending).where(
        bank_lines.c.account_id == account_id, bank_lines.c.dedupe_key == key,
        bank_lines.c.occurrence == occurrence)).first()
    if same is not None:
        if same.pending and not line.pending:
            _settle(conn, same.id, line, key, occurrence)
            return "updated"
        return "duplicate"
    if not line.pending:
        pending = _near(conn, account_id, line, PENDING_WINDOW, pending=True)
        if len(pending) == 1:
            _settle(conn, pending[0].id, line, key, occurrence)
            return "updated"
    status, reason = "unreconciled", None
    if key.startswith("hash:"):
        # a stored line with the same key is an identical line, counted by occurrence
        twins = [r for r in _near(conn, account_id, line, DUPLICATE_WINDOW, pending=False)
                 if r.dedupe_key != key
                 and fuzz.token_set_ratio(r.description, line.description,
                                         processor=default_process) >= SIMILAR_TEXT]
        if twins:
            status = "review"
            reason = (f"probably the same as bank line {twins[0].id} "
                      f"({twins[0].booking_date}, same amount, similar text)")
    conn.execute(insert(bank_lines).values(
        entity_id=ledger.entity.id, account_id=account_id, import_id=import_id,
        dedupe_key=key, occurrence=occurrence, status=status, review_reason=reason,
        **_facts(line)))
    return "review" if status == "review" else "added"


def _near(conn: Connection, account_id: int, line: StatementLine, window: dt.timedelta, *,
          pending: bool) -> list:
    return list(conn.execute(select(bank_lines).where(and_(
        bank_lines.c.account_id == account_id,
        bank_lines.c.amount == line.amount.minor,
        bank_lines.c.currency == line.amount.currency,
        bank_lines.c.booking_date.between(line.booking_date - window,
                                          line.booking_date + window),
        bank_lines.c.pending.is_(pending),
    ))))


def _settle(conn: Connection, line_id: int, line: StatementLine, key: str,
            occurrence: int) -> None:
    """A pending line has been booked: it takes the booked line's facts and key."""
    conn.execute(update(bank_lines).where(bank_lines.c.id == line_id).values(
        dedupe_key=key, occurrence=occurrence, **_facts(line)))


def _facts(line: StatementLine) -> dict:
    return {
        "booking_date": line.booking_date, "value_date": line.value_date,
        "amount": line.amount.minor, "currency": line.amount.currency,
        "description": line.description, "counterparty": line.counterparty,
        "counterparty_account": line.counterparty_account,
        "bank_reference": line.bank_reference, "end_to_end_id": line.end_to_end_id,
        "kind": line.kind, "pending": line.pending, "raw": line.raw,
    }

