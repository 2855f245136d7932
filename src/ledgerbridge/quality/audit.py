"""The data audit: what is wrong in connected systems' contacts and in the ledger.

Each check yields :class:`Finding` rows naming the record, what is wrong and a fix.
Contact checks read the current contact documents of every connection (or of one);
duplicates come from entity resolution; chart checks read the ledger's accounts and
their posted lines; the mapping check looks for invoices and bills that no posting
rule turned into an entry. The audit only reads: it changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Connection, func, select

from ledgerbridge.documents import parse_document
from ledgerbridge.ledger import AccountType, Ledger
from ledgerbridge.ledger.balances import net_by_account
from ledgerbridge.money import format_minor
from ledgerbridge.quality.keys import (
    country_problem,
    currency_problem,
    email_problem,
    iban_problem,
    tax_id,
)
from ledgerbridge.quality.merges import known
from ledgerbridge.quality.names import display_key, name_forms
from ledgerbridge.quality.records import ContactRecord, load_records
from ledgerbridge.quality.resolve import Cluster, resolve
from ledgerbridge.store.tables import accounts, connections, documents, journal_lines
from ledgerbridge.sync.connections import get_connection

__all__ = ["CHECKS", "Finding", "audit"]

CHECKS = {
    "duplicate_within_system": "merge the duplicates in that system; keep the one in use",
    "duplicate_across_systems": "review the merge proposal: ledgerbridge contacts proposals",
    "inconsistent_name": "spell the name one way in every system",
    "inconsistent_address": "keep the current address and correct the other systems",
    "name_format": "trim the spaces and write the name in its usual case",
    "invalid_tax_id": "correct the tax number from the company's invoice or registry entry",
    "invalid_iban": "correct the IBAN from the company's bank details",
    "invalid_email": "correct or remove the email address",
    "invalid_currency": "switch the contact to the currency that replaced it",
    "invalid_country": "use the ISO 3166-1 alpha-2 code",
    "near_duplicate_accounts": "merge the accounts, or rename one so they differ in meaning",
    "unused_account": "make the account inactive if it is no longer needed",
    "wrong_type_postings": "move the postings to an account of the right type",
    "unposted_document": "add a posting rule for it, then replay the connection",
}
"""Every check by name, with the fix it suggests."""

UNUSED_DAYS = 365
# Accounts whose balance is legitimately on the other side of their type's normal one.
_EITHER_SIDE = frozenset({"contra", "discount", "refund", "fx", "suspense"})
_GENERIC = frozenset({"account", "acct", "expense", "expenses", "cost", "costs"})
_POSTED_TYPES = ("invoice", "credit_note", "bill")
_UNPOSTED_STATUSES = frozenset({"draft", "void"})
_ACCOUNT_SIMILARITY = 92


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found.

    Attributes:
        check: which check found it (a key of CHECKS).
        record: what it concerns ("crm:7", "crm:7 books:3", "account 6310").
        detail: what is wrong, with the values.
        fix: what to do about it.

    """

    check: str
    record: str
    detail: str
    fix: str


def _finding(check: str, record: str, detail: str) -> Finding:
    return Finding(check, record, detail, CHECKS[check])


# -- contacts ---------------------------------------------------------------------


def _identifier_findings(r: ContactRecord) -> Iterator[Finding]:
    if r.tax_id and (problem := tax_id(r.tax_id, r.country).problem):
        yield _finding("invalid_tax_id", r.key, f"{r.name}: tax id {r.tax_id!r} is {problem}")
    if r.iban and (problem := iban_problem(r.iban)):
        yield _finding("invalid_iban", r.key, f"{r.name}: {r.iban} is {problem}")
    for email in r.emails:
        if problem := email_problem(email):
            yield _finding("invalid_email", r.key, f"{r.name}: {email!r} is {problem}")
    if r.currency and (problem := currency_problem(r.currency)):
        yield _finding("invalid_currency", r.key, f"{r.name}: {problem}")
    for address in r.addresses:
        if address.country and (problem := country_problem(address.country)):
            yield _finding("invalid_country", r.key, f"{r.name}: {problem}")


def _format_findings(r: ContactRecord) -> Iterator[Finding]:
    problems = []
    if r.name != r.name.strip() or "  " in r.name:
        problems.append("stray spaces")
    # Acronyms and legal forms are capitals by nature: "AWS EMEA SARL" is written right.
    if r.name.isupper() and any(len(w) > 4 for w in r.name.split()):
        problems.append("all capitals")
    if problems:
        yield _finding("name_format", r.key, f"{r.name!r}: {' and '.join(problems)}")


def _keys(records: Iterable[ContactRecord]) -> str:
    return " ".join(r.key for r in records)


def _duplicate_findings(cluster: Cluster) -> Iterator[Finding]:
    by_connection: dict[str, list[ContactRecord]] = defaultdict(list)
    for r in cluster.records:
        by_connection[r.connection].append(r)
    for connection, same in by_connection.items():
        if len(same) > 1:
            names = ", ".join(sorted({r.name.strip() for r in same}))
            yield _finding("duplicate_within_system", _keys(same),
                           f"{len(same)} contacts in {connection} are one company: {names} "
                           f"({cluster.confidence}% sure: {', '.join(cluster.reasons)})")
    if cluster.units > 1 and len(by_connection) > 1:
        yield _finding("duplicate_across_systems", _keys(cluster.records),
                       f"{cluster.name} appears as {len(cluster.records)} contacts in "
                       f"{', '.join(sorted(by_connection))} ({cluster.confidence}% sure: "
                       f"{', '.join(cluster.reasons)})")


def _consistency_findings(cluster: Cluster) -> Iterator[Finding]:
    spellings: dict[str, set[str]] = defaultdict(set)
    holders: dict[str, list[ContactRecord]] = defaultdict(list)
    for r in cluster.records:
        spellings[display_key(r.name)].add(r.name.strip())
        holders[display_key(r.name)].append(r)
    for key, names in spellings.items():
        if len(names) > 1:
            shown = " / ".join(repr(n) for n in sorted(names))
            yield _finding("inconsistent_name", _keys(holders[key]),
                           f"one name written {len(names)} ways: {shown}")
    places: dict[str, dict[tuple[str | None, str | None], list[ContactRecord]]] = (
        defaultdict(lambda: defaultdict(list)))
    for r in cluster.records:
        if r.forms.regional:  # a branch's address is its own, not the company's
            continue
        for a in r.addresses:
            if a.country or a.postal_code:
                places[a.kind][(a.country, a.postal_code)].append(r)
    for kind, seen in places.items():
        if len(seen) > 1:
            shown = " / ".join(" ".join(p for p in place if p) for place in sorted(
                seen, key=lambda p: (p[0] or "", p[1] or "")))
            records = sorted({r for rs in seen.values() for r in rs}, key=lambda r: r.key)
            yield _finding("inconsistent_address", _keys(records),
                           f"{cluster.name}: {len(seen)} different {kind} addresses: {shown}")


def _contact_findings(conn: Connection, ledger: Ledger,
                      connection: str | None) -> Iterator[Finding]:
    records = list(load_records(conn, ledger.entity.id))
    for r in records:
        if connection is None or r.connection == connection:
            yield from _format_findings(r)
            yield from _identifier_findings(r)
    for cluster in resolve(records, known(conn, ledger.entity.id)):
        if len(cluster.records) < 2:
            continue
        if connection is not None and all(r.connection != connection
                                          for r in cluster.records):
            continue
        yield from _duplicate_findings(cluster)
        yield from _consistency_findings(cluster)


# -- chart of accounts --------------------------------------------------------------


def _account_words(name: str) -> str:
    words = [w for w in name_forms(name).core.split() if w not in _GENERIC]
    return " ".join(words) or name_forms(name).core


def _near_duplicates(chart: Sequence[Any]) -> Iterator[Finding]:
    for a, b in combinations(chart, 2):
        if a.parent_id == b.id or b.parent_id == a.id:
            continue
        if fuzz.token_sort_ratio(_account_words(a.name),
                                 _account_words(b.name)) >= _ACCOUNT_SIMILARITY:
            yield _finding("near_duplicate_accounts", f"account {a.code} account {b.code}",
                           f"{a.code} {a.name!r} ({a.type}) and {b.code} {b.name!r} "
                           f"({b.type}) look like one account")


def _wrong_side(row, balance: int) -> bool:  # noqa: ANN001 - a result row
    if row.subtype in _EITHER_SIDE:
        return False
    if row.type == AccountType.EXPENSE:
        return balance < 0
    return row.type == AccountType.INCOME and balance > 0


def _chart_findings(conn: Connection, ledger: Ledger, as_of: dt.date) -> Iterator[Finding]:
    chart = conn.execute(select(accounts).where(accounts.c.entity_id == ledger.entity.id)
                         .order_by(accounts.c.code)).all()
    yield from _near_duplicates(chart)
    stale = as_of - dt.timedelta(days=UNUSED_DAYS)
    balances, last = _usage(conn, ledger, [r.id for r in chart], stale, as_of)
    currency = ledger.entity.functional_currency
    for row in chart:
        balance = balances.get(row.id)
        if balance is None:
            continue
        if row.active and row.id in last:
            yield _finding("unused_account", f"account {row.code}",
                           f"{row.code} {row.name!r}: last posting on {last[row.id]}, "
                           f"over {UNUSED_DAYS} days before {as_of}")
        if _wrong_side(row, balance):
            side = "credit" if balance < 0 else "debit"
            yield _finding("wrong_type_postings", f"account {row.code}",
                           f"{row.code} {row.name!r} is an {row.type} account with a {side} "
                           f"balance of {format_minor(abs(balance), currency)} {currency}")


def _usage(conn: Connection, ledger: Ledger, account_ids: list[int], stale: dt.date,
           as_of: dt.date) -> tuple[dict[int, int], dict[int, dt.date]]:
    """Balances of the accounts with lines up to ``as_of``; last posting day of the idle.

    The idle accounts are those with no line from ``stale`` on. Both come from the
    period balances; only the idle accounts have their own lines read, for the day
    of their last posting.
    """
    entity_id = ledger.entity.id
    balances = net_by_account(conn, entity_id, None, as_of, account_ids)
    recent = net_by_account(conn, entity_id, stale, as_of, account_ids)
    idle = sorted(set(balances) - set(recent))
    last = dict(conn.execute(
        select(journal_lines.c.account_id, func.max(journal_lines.c.date))
        .where(journal_lines.c.entity_id == entity_id, journal_lines.c.account_id.in_(idle),
               journal_lines.c.date < stale)
        .group_by(journal_lines.c.account_id)).all()) if idle else {}
    return balances, last


# -- mapping ------------------------------------------------------------------------


def _unposted_findings(conn: Connection, ledger: Ledger,
                       connection: str | None) -> Iterator[Finding]:
    query = (select(documents.c.data, connections.c.name)
             .join(connections, connections.c.id == documents.c.connection_id)
             .where(connections.c.entity_id == ledger.entity.id,
                    documents.c.type.in_(_POSTED_TYPES), documents.c.status == "current",
                    documents.c.entry_id.is_(None))
             .order_by(connections.c.name, documents.c.type, documents.c.external_id))
    if connection is not None:
        query = query.where(connections.c.name == connection)
    for data, name in conn.execute(query):
        document = parse_document(data)
        if getattr(document, "status", None) in _UNPOSTED_STATUSES:
            continue
        external_id = document.source.external_id
        yield _finding("unposted_document", f"{name}:{document.type}:{external_id}",
                       f"{document.type} {external_id} of {name} is {document.status} "
                       "but no posting rule made an entry for it")


def audit(ledger: Ledger, connection: str | None = None, *,
          as_of: dt.date | None = None) -> list[Finding]:
    """Every finding about the entity's data, or one connection's and the ledger's.

    Raises LedgerError when ``connection`` does not exist.
    """
    as_of = as_of or dt.date.today()
    with ledger.engine.connect() as conn:
        if connection is not None:
            get_connection(conn, connection)
        found = [*_contact_findings(conn, ledger, connection),
                 *_chart_findings(conn, ledger, as_of),
                 *_unposted_findings(conn, ledger, connection)]
    order = list(CHECKS)
    return sorted(found, key=lambda f: (order.index(f.check), f.record))
