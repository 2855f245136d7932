"""One month of the demo company's sales as canonical documents of a "demo" connection.

The demo journal (``sandbox.demo``) books each invoice and payment as an entry; here
the same invoices, their customers and the payments of them made in the month
become the documents a shop or billing tool would have sent.
"""

from __future__ import annotations

import re
from typing import Any

from ledgerbridge.documents import Document, parse_document
from ledgerbridge.sandbox.demo import demo_entries

SOURCE = "demo"
_INVOICE = re.compile(r"^Invoice (\d+) to (.+)$")
_PAYMENT = re.compile(r"^Payment from (.+) for invoice (\d+)$")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _source(object_type: str, external_id: str) -> dict[str, str]:
    return {"connection": SOURCE, "object_type": object_type, "external_id": external_id}


def _amount(line: dict[str, Any]) -> str:
    return line.get("debit") or line["credit"]


def demo_month(month: int = 4) -> list[Document]:
    """Contacts, invoices and the payments of them in ``month`` of the demo year."""
    contacts: dict[str, Document] = {}
    invoices: dict[str, Document] = {}
    payments: list[Document] = []
    for entry in demo_entries():
        if int(entry["date"][5:7]) != month:
            continue
        lines = {line["account"]: line for line in entry["lines"]}
        if found := _INVOICE.match(entry["memo"]):
            number, customer = found.groups()
            slug = _slug(customer)
            contacts.setdefault(slug, parse_document({
                "type": "contact", "source": _source("customer", slug), "name": customer,
                "kind": "customer", "emails": [f"ap@{slug}.example"]}))
            tax = [{"jurisdiction": "US-TX", "amount": _amount(lines["2200"])}] \
                if "2200" in lines else []
            invoices[number] = parse_document({
                "type": "invoice", "source": _source("invoice", f"INV-{number}"),
                "number": number, "customer": {"external_id": slug, "name": customer},
                "issue_date": entry["date"], "due_date": lines["1100"]["due_date"],
                "currency": "USD", "lines": [{
                    "description": "Consulting services", "amount": _amount(lines["4020"]),
                    "tax_lines": tax}]})
        elif (found := _PAYMENT.match(entry["memo"])) and found.group(2) in invoices:
            customer, number = found.groups()
            amount = _amount(lines["1010"])
            payments.append(parse_document({
                "type": "payment", "source": _source("payment", f"PAY-{number}"),
                "date": entry["date"], "amount": amount, "currency": "USD",
                "contact": {"external_id": _slug(customer), "name": customer},
                "applications": [{"document": {"external_id": f"INV-{number}"},
                                  "amount": amount}]}))
    return [*contacts.values(), *invoices.values(), *payments]
