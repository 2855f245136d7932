"""Coding a ready document: its vendor resolved to a contact, each line given an account.

A line's account comes from the first of these that gives one:

1. ``vendor-mapping``: a mapping rule that matches this bill sets its expense account;
2. ``vendor-history``: the account most of this vendor's posted documents' lines went to;
3. ``model``: the categorization model's suggestion, when a model is trained and sure
   enough (its own threshold for coding without review);
4. ``mapping``: the mapping's default expense account.

A user's choice (``manual``) wins over all of them. Tax lines are not coded here: the
mapping sends each VAT rate to its account (``recoverable_tax``, ``tax.jurisdictions``).
A line the document states no tax for gets the tax code the categorization model
learned for its account, when the model is sure of it (a proposal: ``tax_code``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from sqlalchemy import Connection, or_, select

from ledgerbridge.documents import Bill
from ledgerbridge.intake.einvoice import EInvoice
from ledgerbridge.intelligence.categorize import CategorizeError, Categorizer, Transaction
from ledgerbridge.intelligence.categorize.versions import DEFAULT_THRESHOLD, load
from ledgerbridge.ledger import Ledger
from ledgerbridge.mapping import PostingRules
from ledgerbridge.mapping._posting import matches
from ledgerbridge.quality.keys import tax_id
from ledgerbridge.quality.merges import known
from ledgerbridge.quality.names import name_forms
from ledgerbridge.quality.records import load_records
from ledgerbridge.store.tables import contacts, intake_documents

__all__ = ["LineCode", "VendorContact", "code_lines", "coding_json", "parse_coding",
           "resolve_vendor"]

SOURCES = ("manual", "vendor-mapping", "vendor-history", "model", "mapping")
"""Where a line's account came from, strongest first."""


@dataclass(frozen=True, slots=True)
class LineCode:
    """The account of one bill line and why, with the tax code proposed when the line has none."""

    account: str
    source: str
    reason: str
    tax_code: str | None = None


@dataclass(frozen=True, slots=True)
class VendorContact:
    """The canonical contact a document's seller was resolved to, and by what."""

    id: int
    name: str
    matched_by: str


def coding_json(codes: Sequence[LineCode]) -> str:
    """The stored form of a document's coding."""
    return json.dumps([asdict(c) for c in codes])


def parse_coding(text: str | None) -> tuple[LineCode, ...]:
    """A stored coding read back (empty when the document has none)."""
    return tuple(LineCode(**c) for c in json.loads(text or "[]"))


def _compact(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def resolve_vendor(conn: Connection, entity_id: int,
                   invoice: EInvoice) -> VendorContact | None:
    """The canonical contact of ``invoice``'s seller: by VAT id, IBAN, then name.

    Only contacts that an accepted merge made canonical count (``ledgerbridge
    contacts``); a seller matching a connected system's record that belongs to none is
    left unresolved.
    """
    seller = invoice.seller
    taught = known(conn, entity_id)
    tax_key = tax_id(seller.vat_id, seller.country).key if seller.vat_id else None
    ibans = {_compact(i) for i in invoice.ibans}
    found: tuple[int, str] | None = None
    for record in load_records(conn, entity_id):
        contact_id = taught.records.get(record.key)
        if contact_id is None:
            continue
        if tax_key and record.tax_key == tax_key:
            found = (contact_id, f"VAT id {seller.vat_id} of {record.key}")
            break
        if found is None and record.iban and _compact(record.iban) in ibans:
            found = (contact_id, f"IBAN {record.iban} of {record.key}")
    if found is None and seller.name:
        contact_id = taught.names.get(name_forms(seller.name).core)
        if contact_id is not None:
            found = (contact_id, f"name {seller.name!r}")
    if found is None:
        return None
    name = conn.execute(select(contacts.c.name).where(contacts.c.id == found[0])).scalar_one()
    return VendorContact(found[0], name, found[1])


def _history(conn: Connection, entity_id: int, vendor: str | None,
             contact_id: int | None) -> LineCode | None:
    """The account the vendor's posted documents' lines went to most often."""
    c = intake_documents.c
    same = [c.vendor == vendor] if vendor else []
    if contact_id is not None:
        same.append(c.contact_id == contact_id)
    if not same:
        return None
    rows = conn.execute(select(c.coding).where(
        c.entity_id == entity_id, c.status == "posted", or_(*same))).scalars()
    counts = Counter(code.account for text in rows for code in parse_coding(text))
    if not counts:
        return None
    (account, n), = counts.most_common(1)
    return LineCode(account, "vendor-history",
                    f"{n} of {counts.total()} lines of this vendor's posted documents")


def _model(conn: Connection, ledger: Ledger) -> Categorizer | None:
    try:
        return load(conn, ledger)[1]
    except CategorizeError:
        return None


def _txns(bill: Bill) -> list[Transaction]:
    vendor = bill.vendor.name if bill.vendor else None
    return [Transaction(text=line.description or "", counterparty=vendor,
                        amount=-line.net_amount.minor, currency=bill.currency,
                        date=bill.issue_date) for line in bill.lines]


def _model_codes(model: Categorizer | None, bill: Bill) -> list[LineCode | None]:
    """The categorization model's sure suggestion per line, None where it is unsure."""
    if model is None:
        return [None] * len(bill.lines)
    txns = _txns(bill)
    out: list[LineCode | None] = []
    for found in model.suggest(txns, top=1, explain=False):
        best = found[0] if found else None
        out.append(LineCode(best.account, "model", f"{best.source}, confidence "
                            f"{best.confidence:.2f}")
                   if best is not None and best.confidence >= DEFAULT_THRESHOLD else None)
    return out


def _tax_codes(model: Categorizer | None, bill: Bill, codes: list[LineCode]) -> list[LineCode]:
    """``codes`` with the learned tax code of each line the bill states no tax for."""
    if model is None or bill.tax_lines:
        return codes
    out = []
    for line, txn, code in zip(bill.lines, _txns(bill), codes, strict=True):
        guess = None if line.tax_lines else model.tax_for(txn, code.account)
        sure = guess is not None and guess.code and guess.confidence >= DEFAULT_THRESHOLD
        out.append(replace(code, tax_code=guess.code) if sure else code)
    return out


def code_lines(conn: Connection, ledger: Ledger, rules: PostingRules, bill: Bill,
               contact_id: int | None) -> list[LineCode]:
    """Each line of ``bill`` coded to an account (see the module for the order)."""
    model = _model(conn, ledger)
    for index, rule in reversed(list(enumerate(rules.config.rules))):
        code = rule.accounts.get("expense")
        if code and any(k.startswith("vendor") for k in rule.when) and matches(rule.when, bill):
            return _tax_codes(model, bill, [
                LineCode(code, "vendor-mapping", f"mapping {rules.config.rule_label(index)}")
                for _ in bill.lines])
    expense = rules.accounts_for(bill).get("expense")
    vendor = bill.vendor.external_id if bill.vendor else None
    learned = _history(conn, ledger.entity.id, vendor, contact_id)
    if learned is not None:
        return _tax_codes(model, bill, [learned for _ in bill.lines])
    fallback = LineCode(expense or "", "mapping", "the mapping's expense account")
    return _tax_codes(model, bill, [code or fallback for code in _model_codes(model, bill)])
