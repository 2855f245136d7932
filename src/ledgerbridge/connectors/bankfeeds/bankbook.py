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

A live feed (Plaid ...) names every line exactly, so its batches go through
:func:`store_feed` instead: a line is found again by the feed's id for it and takes
the feed's latest facts (a pending line settles into its booked line by the link the
feed gives, not by a guess); a withdrawn line is removed, or sent to ``review`` with
the reason when a reconciliation already used it. Each batch is kept raw like a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy import Connection, and_, delete, insert, select, update

from ledgerbridge.connectors.bankfeeds.statement import Statement, StatementError, StatementLine
from ledgerbridge.ledger import AccountType, Ledger, LedgerError
from ledgerbridge.store.tables import (
    accounts,
    bank_imports,
    bank_lines,
    reconciliation_links,
    reconciliations,
)

if TYPE_CHECKING:
    from ledgerbridge.connectors.base import RawEvent
    from ledgerbridge.documents import BankTransaction

__all__ = ["FeedBatch", "FeedLine", "FeedRemoval", "FeedResult", "ImportResult", "LiveFeed",
           "feed_line", "import_statements", "line_key", "reference_key", "store_feed"]

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
        return reference_key(line.bank_reference)
    text = " ".join(line.description.split()).casefold()
    facts = "|".join((line.booking_date.isoformat(), str(line.amount.minor),
                      line.amount.currency, text, (line.counterparty or "").casefold()))
    return "hash:" + hashlib.sha256(facts.encode()).hexdigest()


def reference_key(reference: str) -> str:
    """The key of a line the bank gave the id ``reference``."""
    return f"ref:{reference}"[:160]


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
        "original_amount": line.original.minor if line.original else None,
        "original_currency": line.original.currency if line.original else None,
        "exchange_rate": line.exchange_rate,
        "mcc": line.mcc, "category_code": line.category_code,
    }



# -- live feeds ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedLine:
    """A line a live feed sent: a new one, or the latest state of one it sent before.

    Attributes:
        transaction: the line; its ``account`` is the ledger account code and its
            ``bank_reference`` the feed's own id for the line.
        replaces: the feed's id of the pending line this booked line settles, if any.
        raw: the feed's record of the line, as text.
        category_code: the feed's own category of the line, if it gives one.

    """

    transaction: BankTransaction
    replaces: str | None = None
    raw: str = ""
    category_code: str | None = None


@dataclass(frozen=True, slots=True)
class FeedRemoval:
    """A line the feed withdrew, by its id; ``account`` None: whichever account holds it."""

    bank_reference: str
    account: str | None = None


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """One batch of a live feed, applied all together and kept raw like an imported file.

    Attributes:
        name: what the batch is called in ``bank_imports`` ("plaid:<item>:<cursor>").
        format: the feed, e.g. "plaid".
        content: the batch as received, byte for byte.
        lines: new and changed lines, in the feed's order.
        removed: lines the feed withdrew, applied after ``lines``.

    """

    name: str
    format: str
    content: bytes
    lines: tuple[FeedLine, ...] = ()
    removed: tuple[FeedRemoval, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What a batch did; ``accounts`` are the ledger accounts whose lines changed."""

    accounts: tuple[str, ...] = ()
    added: int = 0
    updated: int = 0
    duplicates: int = 0
    removed: int = 0
    review: int = 0

    @property
    def changed(self) -> bool:
        """Whether the bank book is different after the batch."""
        return bool(self.accounts)


@runtime_checkable
class LiveFeed(Protocol):
    """A connector whose events are batches of bank lines (Plaid ...), not ledger documents.

    The sync engine stores each batch in the bank book with :func:`store_feed`. An
    event that only says new lines are ready (a webhook) names the streams to read
    at once; the engine reads them as soon as the event is processed.
    """

    def feed_batch(self, event: RawEvent) -> FeedBatch | None:
        """The lines ``event`` carries, or None when it carries none."""

    def sync_after(self, event: RawEvent) -> tuple[str, ...]:
        """Streams to read as soon as ``event`` is processed (none: nothing to read)."""


def feed_line(document: BankTransaction, raw: str = "", category_code: str | None = None
              ) -> StatementLine:
    """The statement line of a bank transaction document."""
    party = document.counterparty
    return StatementLine(
        booking_date=document.booking_date, amount=document.amount,
        description=document.description, value_date=document.value_date,
        bank_reference=document.bank_reference, end_to_end_id=document.end_to_end_id,
        counterparty=party.name if party else None,
        counterparty_account=(party.iban or party.account_number) if party else None,
        kind=document.kind, pending=document.pending,
        raw=raw or document.model_dump_json(exclude={"id"}), category_code=category_code,
    )


def store_feed(conn: Connection, ledger: Ledger, batch: FeedBatch) -> FeedResult:
    """Store a live feed's batch in the caller's transaction.

    A line with the feed's id is found again by it: unchanged, it is a duplicate;
    changed, it takes the new facts (a reconciled line whose amount or currency
    changed keeps its facts and goes to ``review`` with the change as the reason); a
    booked line that names the pending line it replaces updates that line. A line
    without an id is stored like a statement line (hash key, occurrences, review of
    probable duplicates). A withdrawn line is deleted with the proposals that named
    it; one a person or a reconciliation has decided on goes to ``review`` instead.
    """
    imports: dict[int, int] = {}
    codes: dict[int, str] = {}
    tally: dict[int, Counter[str]] = {}
    account_ids: dict[str, int] = {}

    def account_of(code: str) -> int:
        if code not in account_ids:
            account_ids[code] = _bank_account(conn, ledger, code)
            codes[account_ids[code]] = code
        return account_ids[code]

    def import_of(account_id: int) -> int:
        if account_id not in imports:
            imports[account_id] = conn.execute(insert(bank_imports).values(
                entity_id=ledger.entity.id, account_id=account_id, file_name=batch.name[:255],
                file_sha256=hashlib.sha256(batch.content).hexdigest(), format=batch.format[:32],
                content=batch.content, lines_read=0, lines_added=0, lines_updated=0,
                lines_review=0,
            )).inserted_primary_key[0]
            tally[account_id] = Counter()
        return imports[account_id]

    seen: Counter[tuple[int, str]] = Counter()
    for item in batch.lines:
        account_id = account_of(item.transaction.account)
        import_id = import_of(account_id)
        line = feed_line(item.transaction, item.raw, item.category_code)
        key = line_key(line)
        seen[(account_id, key)] += 1
        if line.bank_reference:
            outcome = _store_named(conn, ledger, account_id, import_id, line, key,
                                   item.replaces, batch.format)
        else:
            outcome = _store(conn, ledger, account_id, import_id, line, key,
                             seen[(account_id, key)])
        tally[account_id][outcome] += 1
    for removal in batch.removed:
        if removal.account is not None:
            account_of(removal.account)
        for row in _named(conn, ledger, removal):
            import_of(row.account_id)
            codes.setdefault(row.account_id, _code(conn, row.account_id))
            tally[row.account_id][_withdraw(conn, row, batch.format)] += 1
    for account_id, import_id in imports.items():
        counts = tally[account_id]
        conn.execute(update(bank_imports).where(bank_imports.c.id == import_id).values(
            lines_read=sum(counts.values()), lines_added=counts["added"],
            lines_updated=counts["updated"], lines_review=counts["review"]))
    total: Counter[str] = sum(tally.values(), Counter())
    changed = tuple(sorted(codes[a] for a, counts in tally.items()
                           if set(counts) - {"duplicate"}))
    return FeedResult(changed, total["added"], total["updated"], total["duplicate"],
                      total["removed"], total["review"])


def _code(conn: Connection, account_id: int) -> str:
    return conn.execute(select(accounts.c.code).where(accounts.c.id == account_id)).scalar_one()


def _by_key(conn: Connection, account_id: int, key: str):  # noqa: ANN202 - a row or None
    return conn.execute(select(bank_lines).where(
        bank_lines.c.account_id == account_id, bank_lines.c.dedupe_key == key
    ).order_by(bank_lines.c.occurrence)).first()


def _store_named(conn: Connection, ledger: Ledger, account_id: int, import_id: int,
                 line: StatementLine, key: str, replaces: str | None, feed: str) -> str:
    """Store a line the feed names: added, updated, duplicate or review."""
    row = _by_key(conn, account_id, key)
    if row is None and replaces:
        row = _by_key(conn, account_id, reference_key(replaces))
    if row is None:
        conn.execute(insert(bank_lines).values(
            entity_id=ledger.entity.id, account_id=account_id, import_id=import_id,
            dedupe_key=key, occurrence=1, status="unreconciled", review_reason=None,
            **_facts(line)))
        return "added"
    facts = _facts(line)
    if row.dedupe_key == key and all(getattr(row, k) == v for k, v in facts.items()):
        return "duplicate"
    # A reconciled line keeps its amount: the settling entry was posted for it.
    accepted = select(reconciliation_links.c.id).join(
        reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id
    ).where(reconciliation_links.c.bank_line_id == bank_lines.c.id,
            reconciliations.c.status == "accepted").exists()
    changed = conn.execute(update(bank_lines).where(
        bank_lines.c.id == row.id,
        ((bank_lines.c.status != "reconciled") & ~accepted)
        | ((bank_lines.c.amount == line.amount.minor)
           & (bank_lines.c.currency == line.amount.currency)),
    ).values(dedupe_key=key, occurrence=1, **facts)).rowcount
    if changed:
        return "updated"
    reason = (f"{feed} changed this line after it was reconciled: now {line.amount} on "
              f"{line.booking_date} ({line.description}); undo the reconciliation to match "
              "the new amount")
    if row.status == "review" and row.review_reason == reason:
        return "duplicate"
    conn.execute(update(bank_lines).where(bank_lines.c.id == row.id).values(
        status="review", review_reason=reason))
    return "review"


def _named(conn: Connection, ledger: Ledger, removal: FeedRemoval) -> list:
    key = reference_key(removal.bank_reference)
    query = select(bank_lines).where(bank_lines.c.entity_id == ledger.entity.id,
                                     bank_lines.c.dedupe_key == key)
    if removal.account is not None:
        query = query.join(accounts, accounts.c.id == bank_lines.c.account_id).where(
            accounts.c.code == removal.account)
    return list(conn.execute(query.order_by(bank_lines.c.id)))


def _withdraw(conn: Connection, row, feed: str) -> str:  # noqa: ANN001 - a bank_lines row
    """Remove a withdrawn line, or send it to review when a decision names it."""
    decided = conn.execute(
        select(reconciliations.c.id, reconciliations.c.status)
        .join(reconciliation_links,
              reconciliation_links.c.reconciliation_id == reconciliations.c.id)
        .where(reconciliation_links.c.bank_line_id == row.id,
               reconciliations.c.status != "proposed")
        .order_by(reconciliations.c.id)).first()
    if decided is None and row.status != "reconciled":
        proposals = select(reconciliation_links.c.reconciliation_id).where(
            reconciliation_links.c.bank_line_id == row.id).scalar_subquery()
        doomed = [r for (r,) in conn.execute(select(reconciliations.c.id).where(
            reconciliations.c.id.in_(proposals)))]
        if doomed:
            conn.execute(delete(reconciliation_links).where(
                reconciliation_links.c.reconciliation_id.in_(doomed)))
            conn.execute(delete(reconciliations).where(reconciliations.c.id.in_(doomed)))
        gone = conn.execute(delete(bank_lines).where(
            bank_lines.c.id == row.id, bank_lines.c.status != "reconciled")).rowcount
        if gone:
            return "removed"
    if row.status == "review" and (row.review_reason or "").startswith(f"{feed} withdrew"):
        return "duplicate"
    if decided is None or decided.status == "accepted":
        which = f" {decided.id}" if decided is not None else ""
        reason = (f"{feed} withdrew this line after reconciliation{which} used it: check "
                  "whether the money moved, and undo the reconciliation if it did not")
    else:
        reason = (f"{feed} withdrew this line; kept because reconciliation {decided.id} "
                  f"({decided.status}) names it")
    conn.execute(update(bank_lines).where(bank_lines.c.id == row.id).values(
        status="review", review_reason=reason))
    return "review"
