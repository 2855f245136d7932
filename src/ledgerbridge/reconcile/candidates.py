"""What a bank line can be matched with, loaded in bulk and indexed in memory.

Two kinds of candidates:

* book lines: journal lines already posted on the bank account itself (a payment
  synced from a processor) and not yet linked to a bank line; matching links them.
* open items: lines with a party on ``receivable``, ``payable``, ``transit`` and
  ``payroll`` accounts (net pay owed to a payroll tool, benefits owed to their
  provider). Items are debits (credits for payables and payroll); the party's other lines on the
  account (payments posted elsewhere, credit notes) settle the items they name by
  reference (``Invoice INV-1013``) first, then its items oldest first,
  and amounts linked by accepted reconciliations settle the items they name.
An item booked in another currency also keeps what is open of its own currency
(``open_original``): links record the part of it they settled, and credits posted
elsewhere relieve it in proportion to the functional amount they settle.

Entries posted by reconciliations, reversed entries and reversals are left out:
their effect is carried by the links. Everything is loaded with a handful of
queries, whatever the number of bank lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from rapidfuzz.utils import default_process
from sqlalchemy import ColumnElement, Connection, and_, case, func, select

from ledgerbridge.ledger import Ledger, LedgerError
from ledgerbridge.money import Money
from ledgerbridge.reconcile.foreign import relief
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
)

__all__ = [
    "BankLine",
    "Candidates",
    "Item",
    "linked_amounts",
    "linked_originals",
    "load",
    "open_item",
    "normalize_name",
    "references",
    "usable_entries",
]

ITEM_SUBTYPES = ("receivable", "payable", "transit", "payroll")
CREDIT_SUBTYPES = ("payable", "payroll")  # open items that are credits
MAX_NAME_BLOCK = 150  # parties gathered from one-word keys when no word pair matches
MAX_REF_SHARE = 4  # a token found on more items than this is no reference
# A whole run of letters and digits that holds a digit: the look-behind starts it
# at the run's start only, the possessive letters never backtrack.
_WITH_DIGIT = re.compile(r"(?<![A-Z0-9])[A-Z]*+[0-9][A-Z0-9]*")
_LETTERS_NUMBER = re.compile(r"\b([A-Z]+) +([0-9]+)\b")


def references(*texts: str | None) -> set[str]:
    """Reference-like tokens of texts, normalized: upper case, alphanumerics only.

    ``-``, ``/``, ``_`` and ``.`` inside a token are dropped (``INV-1001`` is
    ``INV1001``); a token counts when it holds a digit and is at least 4 characters
    long; a letters token followed by a numbers token is joined (``INV 1001``).
    """
    joined = (" ".join([t for t in texts if t]).upper()
              .replace("-", "").replace("/", "").replace("_", "").replace(".", ""))
    found = {t for t in _WITH_DIGIT.findall(joined) if len(t) >= 4}
    if " " in joined:
        found.update(a + b for a, b in _LETTERS_NUMBER.findall(joined))
    return found


@dataclass(slots=True)
class BankLine:
    """An unreconciled statement line; ``original`` is what the payer sent, if converted."""

    id: int
    date: dt.date
    amount: int
    currency: str
    description: str
    counterparty: str | None
    end_to_end_id: str | None
    refs: set[str] = field(default_factory=set)
    original: Money | None = None
    exchange_rate: Decimal | None = None
    original_source: str = "bank"  # "bank", or the amount rule that read it from the text


@dataclass(slots=True, eq=False)
class Item:
    """A journal line a bank line can settle; ``open`` is signed, debit positive."""

    line_id: int
    entry_id: int
    account: str
    kind: str  # book | receivable | payable | transit
    party: str | None
    date: dt.date
    open: int
    label: str  # the reference people know it by (document number, memo)
    refs: set[str]
    currency: str  # the currency the item was booked in; ``open`` is functional
    open_original: int = 0  # what is open in ``currency``, signed like ``open``
    foreign: bool = False  # booked in another currency than the functional one

    def relief(self, part: int) -> int:
        """The functional amount settling ``part`` of ``open_original`` relieves."""
        return relief(self.open, self.open_original, part)


class _Normalized(dict[str, str]):
    """Normalized party names, each computed once, on first use."""

    def __missing__(self, name: str) -> str:
        self[name] = found = normalize_name(name)
        return found


@dataclass(slots=True)
class Candidates:
    """Bank lines and their candidates, indexed for O(1) lookups."""

    account_id: int
    bank: list[BankLine]
    book_by_amount: dict[int, list[Item]]
    open_by_amount: dict[int, list[Item]]
    by_ref: dict[str, list[Item]]
    by_party: dict[str, list[Item]]
    rejected: set[tuple[int, frozenset[int]]]
    name_keys: dict[str, set[str]] = field(default_factory=dict)
    by_amount_party: dict[tuple[int, str], list[Item]] = field(default_factory=dict)
    norm: dict[str, str] = field(default_factory=_Normalized)
    # Bank texts repeat (one payer, many lines): name searches are kept per text.
    index_cache: dict[str, frozenset[str]] = field(default_factory=dict)
    party_cache: dict[tuple[str, frozenset[str]], list[str]] = field(default_factory=dict)
    pools: dict[tuple[str, int], tuple[list[Item], list[Item]]] = field(default_factory=dict)
    open_by_original: dict[tuple[str, int], list[Item]] = field(default_factory=dict)

    def name_index(self, bank: BankLine) -> frozenset[str]:
        """Parties whose names share two word starts with the counterparty (a prefilter).

        Falls back to one shared word start when no party shares two.
        """
        name = bank.counterparty or bank.description
        cached = self.index_cache.get(name)
        if cached is not None:
            return cached
        found: set[str] = set()
        for key in _name_keys(name, pairs=True):
            found |= self.name_keys.get(key, set())
        if not found:
            blocks = sorted((self.name_keys.get(key, set())
                             for key in _name_keys(name, pairs=False)), key=len)
            for parties in blocks:  # the rarest words first, up to a bounded number
                if found and len(found) + len(parties) > MAX_NAME_BLOCK:
                    break
                found |= parties
        self.index_cache[name] = frozenset(found)
        return self.index_cache[name]


LEGAL = frozenset(
    "inc incorporated llc ltd limited gmbh corp corporation co company plc sa sas sarl "
    "ag bv nv srl spa pty llp lp oy ab as kg ug".split()
)


@lru_cache(maxsize=200_000)
def normalize_name(name: str) -> str:
    """Lower case words without punctuation or legal suffixes (Inc, LLC, GmbH ...)."""
    words = default_process(name).split()
    kept = [w for w in words if w not in LEGAL]
    return " ".join(kept or words)


@lru_cache(maxsize=200_000)
def _name_keys(name: str, *, pairs: bool) -> frozenset[str]:
    words = [w[:3] for w in normalize_name(name).split()[:4] if len(w) >= 3]
    if not pairs:
        return frozenset(words)
    if len(words) == 1:
        return frozenset({words[0] + "|"})
    return frozenset(f"{a}|{b}" for i, a in enumerate(words) for b in words[i + 1:])


def bank_account_id(conn: Connection, ledger: Ledger, code: str) -> int:
    """The id of ledger account ``code``, which must be a bank account."""
    row = conn.execute(select(accounts.c.id, accounts.c.subtype).where(
        accounts.c.entity_id == ledger.entity.id, accounts.c.code == code)).first()
    if row is None:
        raise LedgerError(f"no account {code!r} in entity {ledger.entity.code!r}")
    if row.subtype != "bank":
        raise LedgerError(f"account {code!r} is not a bank account (subtype {row.subtype!r})")
    return row.id


def usable_entries(ledger: Ledger):  # noqa: ANN202 - a where clause
    """Entries that count: not posted by a reconciliation, not reversed, no reversal."""
    reversal = journal_entries.alias("reversal")
    settling = select(reconciliations.c.entry_id).where(
        reconciliations.c.entity_id == ledger.entity.id,
        reconciliations.c.entry_id.is_not(None),
    )
    reversed_ids = select(reversal.c.reverses_id).where(
        reversal.c.entity_id == ledger.entity.id, reversal.c.reverses_id.is_not(None)
    )
    return and_(
        journal_entries.c.entity_id == ledger.entity.id,
        journal_entries.c.reverses_id.is_(None),
        journal_entries.c.id.not_in(settling),
        journal_entries.c.id.not_in(reversed_ids),
    )


def linked_amounts(conn: Connection, ledger: Ledger) -> dict[int, int]:
    """Amounts linked to journal lines by accepted reconciliations."""
    query = (
        select(reconciliation_links.c.journal_line_id, func.sum(reconciliation_links.c.amount))
        .join(reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id)
        .where(
            reconciliations.c.entity_id == ledger.entity.id,
            reconciliations.c.status == "accepted",
            reconciliation_links.c.journal_line_id.is_not(None),
        )
        .group_by(reconciliation_links.c.journal_line_id)
    )
    return {line_id: int(total) for line_id, total in conn.execute(query)}


def _carried(conn: Connection, ledger: Ledger) -> dict[tuple, int]:
    """Amounts linked to lines of replaced entries, by the entry's source and account.

    A changed document (an invoice marked paid in the CRM) reverses its entry and
    posts a new one; what reconciliations settled on the old entry's lines still
    settles the new one's.
    """
    reversal = journal_entries.alias("reversal")
    replaced = select(reversal.c.reverses_id).where(
        reversal.c.entity_id == ledger.entity.id, reversal.c.reverses_id.is_not(None))
    source = (journal_entries.c.connection, journal_entries.c.object_type,
              journal_entries.c.external_id, journal_lines.c.account_id)
    query = (
        select(*source, func.sum(reconciliation_links.c.amount))
        .select_from(reconciliation_links)
        .join(reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id)
        .join(journal_lines, journal_lines.c.id == reconciliation_links.c.journal_line_id)
        .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
        .where(reconciliations.c.entity_id == ledger.entity.id,
               reconciliations.c.status == "accepted",
               journal_entries.c.external_id.is_not(None),
               journal_entries.c.id.in_(replaced))
        .group_by(*source)
    )
    return {tuple(r[:4]): int(r[4]) for r in conn.execute(query)}


def linked_originals(conn: Connection, ledger: Ledger) -> dict[int, tuple[int, int]]:
    """Per journal line, what accepted links settled of its own currency.

    A pair: the sum of the links' ``original_amount``, and the functional sum of
    links that record none (made before links recorded it), for the caller to
    convert at the line's own rate.
    """
    link = reconciliation_links.c
    query = (
        select(link.journal_line_id, func.sum(func.coalesce(link.original_amount, 0)),
               func.sum(case((link.original_amount.is_(None), link.amount), else_=0)))
        .join(reconciliations, reconciliations.c.id == link.reconciliation_id)
        .where(reconciliations.c.entity_id == ledger.entity.id,
               reconciliations.c.status == "accepted", link.journal_line_id.is_not(None))
        .group_by(link.journal_line_id)
    )
    return {line_id: (int(done), int(legacy)) for line_id, done, legacy in conn.execute(query)}


def _shrunk(open_original: int, before: int, after: int) -> int:
    """The original amount still open when a functional ``before`` drops to ``after``."""
    if after == before:
        return open_original
    return round(Fraction(open_original * after, before)) if before else 0


def load(conn: Connection, ledger: Ledger, account_id: int) -> Candidates:
    """Load the unreconciled lines of a bank account and every candidate for them."""
    currency = ledger.entity.functional_currency
    bank_query = (
        select(bank_lines.c.id, bank_lines.c.booking_date, bank_lines.c.amount,
               bank_lines.c.description, bank_lines.c.counterparty,
               bank_lines.c.end_to_end_id, bank_lines.c.bank_reference,
               bank_lines.c.original_amount, bank_lines.c.original_currency,
               bank_lines.c.exchange_rate)
        .where(bank_lines.c.entity_id == ledger.entity.id,
               bank_lines.c.account_id == account_id,
               bank_lines.c.status == "unreconciled",
               bank_lines.c.pending.is_(False),
               bank_lines.c.currency == currency)
        .order_by(bank_lines.c.id)
    )
    bank = [
        BankLine(id_, date, amount, currency, text or "", counterparty, e2e,
                 references(text, e2e, ref),
                 Money(original, original_ccy) if original and original_ccy else None, rate)
        for (id_, date, amount, text, counterparty, e2e, ref, original, original_ccy,
             rate) in conn.execute(bank_query)
    ]
    linked = linked_amounts(conn, ledger)
    book_by_amount: dict[int, list[Item]] = defaultdict(list)
    by_ref: dict[str, list[Item]] = defaultdict(list)
    by_party: dict[str, list[Item]] = defaultdict(list)
    open_by_amount: dict[int, list[Item]] = defaultdict(list)
    open_by_original: dict[tuple[str, int], list[Item]] = defaultdict(list)

    code = conn.execute(select(accounts.c.code).where(accounts.c.id == account_id)).scalar_one()
    book_query = (
        select(*_COLUMNS)
        .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
        .where(usable_entries(ledger), journal_lines.c.entity_id == ledger.entity.id,
               journal_lines.c.account_id == account_id)
    )
    for r in conn.execute(book_query):
        if r[0] in linked:
            continue
        item = _item(r, code, "book", r[4], currency)
        book_by_amount[item.open].append(item)
        _index_refs(by_ref, item)

    for (_, party), items in _open_items(conn, ledger, linked).items():
        for item in items:
            open_by_amount[item.open].append(item)
            by_party[party].append(item)
            if item.foreign:
                open_by_original[(item.currency, item.open_original)].append(item)
            _index_refs(by_ref, item)

    rejected: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    query = (
        select(reconciliation_links.c.reconciliation_id, reconciliation_links.c.bank_line_id,
               reconciliation_links.c.journal_line_id)
        .join(reconciliations, reconciliations.c.id == reconciliation_links.c.reconciliation_id)
        .where(reconciliations.c.account_id == account_id,
               reconciliations.c.status == "rejected")
    )
    for rid, bank_id, line_id in conn.execute(query):
        if bank_id is not None:
            rejected[rid][0].add(bank_id)
        if line_id is not None:
            rejected[rid][1].add(line_id)
    refused = {(b, frozenset(lines)) for banks, lines in rejected.values() for b in banks}
    name_keys: dict[str, set[str]] = defaultdict(set)
    by_amount_party: dict[tuple[int, str], list[Item]] = defaultdict(list)
    for items in open_by_amount.values():
        for item in items:
            by_amount_party[(item.open, item.party or "")].append(item)
    for party in by_party:
        for key in _name_keys(party, pairs=True) | _name_keys(party, pairs=False):
            name_keys[key].add(party)
    return Candidates(
        account_id, bank, dict(book_by_amount), dict(open_by_amount),
        {ref: items for ref, items in by_ref.items() if len(items) <= MAX_REF_SHARE},
        dict(by_party), refused, dict(name_keys), dict(by_amount_party),
        open_by_original=dict(open_by_original),
    )


def open_item(conn: Connection, ledger: Ledger, line_id: int) -> Item | None:
    """The open state of one journal line as ``load`` computes it; None when settled."""
    row = conn.execute(select(journal_lines.c.account_id, journal_lines.c.party).where(
        journal_lines.c.id == line_id, journal_lines.c.entity_id == ledger.entity.id)).first()
    if row is None or row.party is None:
        return None
    groups = _open_items(conn, ledger, linked_amounts(conn, ledger),
                         journal_lines.c.account_id == row.account_id,
                         journal_lines.c.party == row.party)
    return next((i for items in groups.values() for i in items if i.line_id == line_id), None)


_COLUMNS = (
    journal_lines.c.id, journal_lines.c.entry_id, journal_lines.c.date,
    journal_lines.c.due_date, journal_lines.c.amount, journal_lines.c.party,
    journal_lines.c.memo, journal_entries.c.memo.label("entry_memo"),
    journal_entries.c.external_id, journal_entries.c.document_id,
)


def _open_items(conn: Connection, ledger: Ledger, linked: dict[int, int],
                *where: ColumnElement[bool]) -> dict[tuple[int, str], list[Item]]:
    """Open items per (account, party), credits applied oldest first, settled ones left out."""
    currency = ledger.entity.functional_currency
    item_accounts = {
        r.id: (r.code, r.subtype)
        for r in conn.execute(select(accounts.c.id, accounts.c.code, accounts.c.subtype).where(
            accounts.c.entity_id == ledger.entity.id, accounts.c.subtype.in_(ITEM_SUBTYPES)))
    }
    carried = _carried(conn, ledger)
    parts = linked_originals(conn, ledger)
    item_query = (
        select(*_COLUMNS, journal_lines.c.account_id, journal_entries.c.connection,
               journal_entries.c.object_type, journal_lines.c.currency,
               journal_lines.c.original_amount)
        .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
        .where(usable_entries(ledger), journal_lines.c.entity_id == ledger.entity.id,
               journal_lines.c.account_id.in_(list(item_accounts) or [-1]),
               journal_lines.c.party.is_not(None), *where)
        .order_by(journal_lines.c.account_id, journal_lines.c.party, journal_lines.c.date,
                  journal_lines.c.id)
    )
    groups: dict[tuple[int, str], tuple[list[Item], list[tuple[int, str, str]]]] = \
        defaultdict(lambda: ([], []))
    for r in conn.execute(item_query):
        line_id, amount, party, account_id_ = r[0], r[4], r[5], r[10]
        code_, subtype = item_accounts[account_id_]
        sign = -1 if subtype in CREDIT_SUBTYPES else 1
        items, credits = groups[(account_id_, party)]
        if amount * sign > 0:
            open_ = amount - linked.get(line_id, 0)
            done, legacy = parts.get(line_id, (0, 0))
            open_original = r[14] - done - _shrunk(r[14], amount, legacy)
            source = (r[11], r[12], r[8], account_id_)
            if carried and carried.get(source):
                used = min(carried[source] * sign, open_ * sign) * sign
                carried[source] -= used
                open_original = _shrunk(open_original, open_, open_ - used)
                open_ -= used
            item = _item(r, code_, subtype, open_, r[13])
            item.foreign = r[13] != currency
            item.open_original = open_original if item.foreign else open_
            items.append(item)
        else:
            credits.append((-amount * sign, r[6], r[7]))
    found: dict[tuple[int, str], list[Item]] = {}
    for key, (items, credits) in groups.items():
        sign = 1 if items and items[0].open > 0 else -1
        left = _settle_named(items, credits, sign) if len(items) > 1 else \
            sum(c[0] for c in credits)
        for item in items:
            if left > 0:
                left -= _settle(item, left, sign)
            if item.open * sign > 0:
                found.setdefault(key, []).append(item)
    return found


def _settle(item: Item, amount: int, sign: int) -> int:
    """Settle up to ``amount`` (unsigned) of ``item``; the part used."""
    used = min(amount, item.open * sign)
    item.open_original = _shrunk(item.open_original, item.open, item.open - used * sign)
    item.open -= used * sign
    return used


def _settle_named(items: list[Item], credits: list[tuple[int, str, str]], sign: int) -> int:
    """Settle the items each credit names by reference; what the credits leave.

    A payment posted elsewhere names its invoice (``Invoice INV-1013``): it settles
    that one, not the party's oldest. What is left settles the rest oldest first.
    """
    left = 0
    for amount, memo, entry_memo in credits:
        refs = references(memo, entry_memo) if amount > 0 else set()
        for item in items:
            if amount > 0 and refs & item.refs and item.open * sign > 0:
                amount -= _settle(item, amount, sign)
        left += amount
    return left


def _item(r, code: str, kind: str, open_: int, currency: str) -> Item:  # noqa: ANN001 - a row
    line_id, entry_id, date, due, _, party, memo, entry_memo, external_id, document_id = r[:10]
    return Item(line_id, entry_id, code, kind, party, due or date, open_,
                document_id or external_id or memo or entry_memo or f"line {line_id}",
                references(document_id, external_id, memo,
                           entry_memo if entry_memo != memo else None),
                currency)


def _index_refs(by_ref: dict[str, list[Item]], item: Item) -> None:
    for ref in item.refs:
        by_ref[ref].append(item)
