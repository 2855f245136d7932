"""A deliberately dirty company for the quality tests: contacts of three systems and books.

``dirty_books`` stores every document the way the sync engine does (``apply_document``),
with problems planted for the audit to find.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stdnum import iban

from ledgerbridge.documents import Document, parse_document
from ledgerbridge.ledger import Account, AccountType, Entry, Ledger, Line
from ledgerbridge.mapping import rules_for_connection
from ledgerbridge.money import Money
from ledgerbridge.sync.apply import Lookup, apply_document, make_lookup
from ledgerbridge.sync.connections import add_connection, get_connection

AS_OF = dt.date(2026, 6, 30)
SYSTEMS = ("crm", "books", "xero")


class NoPostings:
    """Posting rules that map nothing: a connection whose mapping lacks its invoices."""

    def entry_for(self, document: Document, lookup: Lookup) -> None:
        """No entry for anything."""

    def commands_for(self, document: Document, lookup: Lookup) -> list:
        """No write-backs."""
        return []

    def derived_for(self, document: Document, lookup: Lookup) -> list:
        """No derived documents."""
        return []


def contact(connection: str, external_id: str, name: str, **fields: Any) -> dict[str, Any]:
    """A canonical vendor contact as a JSON-ready dict."""
    return {"type": "contact", "name": name, "kind": fields.pop("kind", "vendor"),
            "source": {"connection": connection, "object_type": "contact",
                       "external_id": external_id}, **fields}


def invoice(connection: str, number: str, status: str = "open") -> dict[str, Any]:
    """An invoice for 100.00 of consulting, issued June 15th, 2026."""
    return {"type": "invoice", "number": number, "issue_date": "2026-06-15",
            "due_date": "2026-07-15", "currency": "USD", "status": status,
            "source": {"connection": connection, "object_type": "invoice",
                       "external_id": number},
            "customer": {"external_id": "c-1", "name": "Wonka Industries"},
            "lines": [{"description": "Consulting", "amount": "100.00"}]}


def store(ledger: Ledger, connection: str, data: list[dict[str, Any]],
          rules: NoPostings | None = None) -> None:
    """Apply documents of one connection as the worker would."""
    with ledger.engine.begin() as conn:
        record = get_connection(conn, connection)
        rules = rules or rules_for_connection(record.system, None)
        for item in data:
            apply_document(conn, ledger, record.id, parse_document(item), rules,
                           lookup=make_lookup(conn, record.id))


def connect(ledger: Ledger, *names: str) -> None:
    """Add webhook connections called ``names``."""
    for name in names:
        add_connection(ledger.engine, name, "webhook", settings={"secret": f"whsec_{name}_01"})


AWS = [
    contact("crm", "aws-1", "Amazon Web Services", emails=["billing@aws.amazon.com"]),
    contact("books", "aws-2", "AWS EMEA SARL", emails=["aws-emea@aws.amazon.com"],
            addresses=[{"country": "LU"}]),
    contact("xero", "aws-3", "AMAZON WEB SERVICES INC", addresses=[{"country": "US"}]),
]


def dirty_contacts() -> dict[str, list[dict[str, Any]]]:
    """Contacts by connection: clean ones, traps that must stay apart, and problems."""
    bad_iban_body = "12345678901234567"  # check digits right, one digit short for DE
    return {
        "crm": [
            AWS[0],
            contact("crm", "amz-r", "Amazon.com, Inc.", emails=["orders@amazon.com"],
                    addresses=[{"country": "US"}]),
            contact("crm", "acme-us", "Acme Inc", tax_id="12-3456789",
                    addresses=[{"country": "US"}]),
            contact("crm", "initech", "Initech GmbH", tax_id="DE136695975",
                    addresses=[{"country": "DE"}]),
            contact("crm", "vandelay", "Vandelay Industries", currency="DEM"),
            contact("crm", "wonka", "Wonka Industries", tax_id="45-1234567", kind="customer",
                    addresses=[{"country": "US", "postal_code": "60601"}]),
        ],
        "books": [
            AWS[1],
            contact("books", "glx-1", "Globex Ltd", emails=["ap@globex.co.uk"]),
            contact("books", "glx-2", "Globex Limited", emails=["accounts@globex.co.uk"]),
            contact("books", "umbrella", "Umbrella Corp",
                    iban=f"DE{_check('DE', bad_iban_body)}{bad_iban_body}"),
            contact("books", "soylent", "Soylent Ltd", addresses=[{"country": "UK"}]),
        ],
        "xero": [
            AWS[2],
            contact("xero", "acme-de", "Acme GmbH", tax_id="DE136695976",
                    addresses=[{"country": "DE"}]),
            contact("xero", "hooli", "Hooli", emails=["ap@hooli"]),
            contact("xero", "stark", " Stark  Industries"),
            contact("xero", "wonka", "Wonka Industries Inc", tax_id="45-1234567",
                    kind="customer", addresses=[{"country": "US", "postal_code": "60602"}]),
        ],
    }


def _check(country: str, bban: str) -> str:
    return iban.calc_check_digits(f"{country}00{bban}")


def usd(text: str) -> Money:
    """US dollars from text."""
    return Money.parse(text, "USD")


def dirty_books(ledger: Ledger) -> None:
    """Store the dirty contacts, invoices and postings (test_audit.py lists the problems)."""
    connect(ledger, *SYSTEMS, "legacy")
    for connection, data in dirty_contacts().items():
        store(ledger, connection, data)
    store(ledger, "crm", [invoice("crm", "INV-1")])  # posted by the default rules
    store(ledger, "legacy", [invoice("legacy", "L-1"), invoice("legacy", "L-2", "draft")],
          NoPostings())
    ledger.add_accounts([Account("6310", "Office supplies expense", AccountType.EXPENSE,
                                 parent="6000")])
    ledger.post(Entry(dt.date(2025, 3, 1), (Line("6450", usd("500")),
                                            Line("1010", -usd("500"))), "Audit fee"))
    ledger.post(Entry(dt.date(2026, 6, 1), (Line("1010", usd("1000")),
                                            Line("4010", -usd("1000"))), "Cash sale"))
    ledger.post(Entry(dt.date(2026, 6, 10), (Line("1010", usd("300")),
                                             Line("6200", -usd("300"))),
                      "Sale booked to an expense account"))
