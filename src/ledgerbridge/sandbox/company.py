"""A generated company: a quarter of activity across the sales loop, as canonical documents.

``company_documents(seed)`` returns the documents a small company's tools would send
in one quarter: customers and vendors, won CRM deals (the ledger invoices them),
card charges and bank transfers paying those invoices, shop orders, refunds,
processor payouts, vendor bills and their payments, a payroll run each month and
the bank lines of every movement through the bank. The same seed gives the same
documents, byte for byte (:func:`company_jsonl`), so rules and edge cases can be
tried, and a pilot compared, before any live credential exists.

``load_company`` stores them in a connection's inbox the way the webhook gateway
would, and the worker posts them through the connection's real posting rules.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.money import format_minor
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.sync.inbox import Channel, store_events

__all__ = ["CURRENCY", "QUARTER_START", "company_documents", "company_jsonl", "load_company"]

CURRENCY = "USD"
QUARTER_START = dt.date(2026, 1, 1)
"""First day of the generated quarter unless another is asked for."""

CUSTOMERS = ("Acme Corp", "Globex Inc", "Initech LLC", "Umbrella Health", "Stark Retail",
             "Wayne Logistics", "Hooli", "Vandelay Imports")
SHOPPERS = ("Ana Silva", "Ben Okafor", "Chloe Martin", "Dev Patel", "Eva Novak", "Finn Berg")
PRODUCTS = (("Espresso beans 1kg", 2400), ("Grinder burr set", 5900), ("Milk jug", 1850),
            ("Tamper", 3200), ("Descaler pack", 1200))
DEAL_ITEMS = ("Cafe fit-out", "Barista training", "Maintenance plan", "Equipment lease setup")
EMPLOYEES = (("emp-1", 620000), ("emp-2", 540000), ("emp-3", 480000))
"""Employee id and monthly gross salary in cents."""
VENDOR_BILLS = (("Harbor Properties", "6100", (350000, 350000)),
                ("Cloudhost Inc", "6250", (38000, 61000)),
                ("Slack", "6200", (12500, 12500)),
                ("Baker & Co CPAs", "6450", (150000, 400000)))
"""Vendor, expense account and the range of its monthly bill in cents."""
TAX_BP = 825  # sales tax on shop orders, basis points (Texas 8.25%)
BANK_ACCOUNT = "1010"


def _money(cents: int) -> str:
    return format_minor(cents, CURRENCY)


def _ref(external_id: str, name: str | None = None) -> dict[str, str]:
    return {"external_id": external_id, **({"name": name} if name else {})}


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def _card_fee(cents: int) -> int:
    """A processor's fee: 2.9% + 30 cents, rounded half up to the cent."""
    return (cents * 29 + 500) // 1000 + 30


@dataclass
class _Quarter:
    """The state of the generator while it walks through the quarter."""

    rng: random.Random
    start: dt.date
    documents: list[tuple[dt.date, int, dict[str, Any]]] = field(default_factory=list)
    clearing: list[tuple[dt.date, int]] = field(default_factory=list)
    """Movements of the processor balance not yet paid out: (available from, cents)."""
    numbers: dict[str, int] = field(default_factory=dict)

    def next(self, prefix: str) -> str:
        """The next id in a series: D1001, ch_1002 ..."""
        self.numbers[prefix] = self.numbers.get(prefix, 1000) + 1
        return f"{prefix}{self.numbers[prefix]}"

    def add(self, day: dt.date, type_: str, object_type: str, external_id: str,
            **body: Any) -> None:
        """Add one document, dated ``day`` (documents are sent in date order)."""
        source = {"connection": "company", "object_type": object_type,
                  "external_id": external_id}
        self.documents.append((day, len(self.documents),
                               {"type": type_, "source": source, **body}))

    def bank_line(self, day: dt.date, cents: int, description: str, counterparty: str,
                  reference: str) -> None:
        """A line on the checking account's feed (positive: money in)."""
        self.add(day, "bank_transaction", "bank_line", f"bl-{reference}",
                 account=BANK_ACCOUNT, booking_date=day.isoformat(), amount=_money(cents),
                 currency=CURRENCY, description=description,
                 counterparty={"name": counterparty}, bank_reference=f"bl-{reference}")


def _months(start: dt.date) -> Iterator[dt.date]:
    for n in range(3):
        month = start.month - 1 + n
        yield dt.date(start.year + month // 12, month % 12 + 1, 1)


def _contacts(q: _Quarter) -> None:
    day = q.start
    for name in CUSTOMERS:
        q.add(day, "contact", "company", _slug(name), name=name, kind="customer")
    for vendor, _, _ in VENDOR_BILLS:
        q.add(day, "contact", "vendor", _slug(vendor), name=vendor, kind="vendor")


def _deals(q: _Quarter, first: dt.date) -> None:
    """Won deals (the ledger invoices them) and how each is paid."""
    for _ in range(3):
        deal_id = q.next("D")
        customer = q.rng.choice(CUSTOMERS)
        closed = first + dt.timedelta(days=q.rng.randint(0, 20))
        cents = q.rng.randint(15, 90) * 10000
        q.add(closed, "deal", "deal", deal_id, name=f"{q.rng.choice(DEAL_ITEMS)} for {customer}",
              stage="closedwon", status="won", amount=_money(cents), currency=CURRENCY,
              close_date=closed.isoformat(), company=_ref(_slug(customer), customer))
        paid = closed + dt.timedelta(days=q.rng.choice([3, 6, 9]))
        application = [{"document": _ref(deal_id), "amount": _money(cents)}]
        if q.rng.random() < 0.6:  # by card, through the processor
            charge = q.next("ch_")
            fee = _card_fee(cents)
            q.add(paid, "payment", "charge", charge, date=paid.isoformat(),
                  amount=_money(cents), currency=CURRENCY, method="card",
                  processor="stripe", fee=_money(fee), contact=_ref(_slug(customer), customer),
                  applications=application, reference=charge)
            q.clearing.append((paid, cents - fee))
        else:  # by bank transfer, seen on the bank feed
            transfer = q.next("bt-")
            q.add(paid, "payment", "bank_transfer", transfer, date=paid.isoformat(),
                  amount=_money(cents), currency=CURRENCY, method="bank_transfer",
                  contact=_ref(_slug(customer), customer), applications=application,
                  reference=transfer)
            q.bank_line(paid, cents, f"TRANSFER FROM {customer.upper()}", customer, transfer)


def _orders(q: _Quarter, first: dt.date) -> None:
    """Paid shop orders with tax and shipping, and a refund of one of them."""
    refunded: tuple[str, str, int, dt.date] | None = None
    for _ in range(q.rng.randint(5, 8)):
        order_id = q.next("SO-")
        day = first + dt.timedelta(days=q.rng.randint(0, 24))
        shopper = q.rng.choice(SHOPPERS)
        lines, net, tax_total = [], 0, 0
        for product, price in q.rng.sample(PRODUCTS, q.rng.randint(1, 3)):
            quantity = q.rng.randint(1, 4)
            amount = price * quantity
            tax = (amount * TAX_BP + 5000) // 10000
            net += amount
            tax_total += tax
            lines.append({"description": product, "quantity": str(quantity),
                          "unit_price": _money(price),
                          "tax_lines": [{"jurisdiction": "US-TX", "amount": _money(tax)}]})
        total = net + tax_total + 500
        q.add(day, "order", "order", order_id, number=f"#{order_id[3:]}",
              order_date=day.isoformat(), currency=CURRENCY, financial_status="paid",
              customer=_ref(_slug(shopper), shopper), lines=lines,
              shipping_lines=[{"title": "Standard", "amount": _money(500)}],
              shipping_total=_money(500), tax_total=_money(tax_total), total=_money(total))
        q.clearing.append((day, total))
        if refunded is None or q.rng.random() < 0.2:
            refunded = (order_id, shopper, total, day)
    order_id, shopper, total, day = refunded
    cents = max(100, total * q.rng.choice([25, 50, 100]) // 100)
    when = day + dt.timedelta(days=4)
    q.add(when, "refund", "refund", q.next("re_"), date=when.isoformat(), amount=_money(cents),
          currency=CURRENCY, processor="shopify", order=_ref(order_id),
          contact=_ref(_slug(shopper), shopper), reason="Returned by the customer")
    q.clearing.append((when, -cents))


def _payout(q: _Quarter, day: dt.date) -> None:
    """Pay out the balance available before ``day``; it lands in the bank two days later."""
    due = sum(cents for available, cents in q.clearing if available < day)
    if due <= 0:
        return
    q.clearing = [(available, cents) for available, cents in q.clearing if available >= day]
    payout = q.next("po_")
    arrival = day + dt.timedelta(days=2)
    q.add(day, "payout", "payout", payout, processor="stripe", date=day.isoformat(),
          arrival_date=arrival.isoformat(), currency=CURRENCY, gross=_money(due),
          fees=_money(0), net=_money(due))
    q.bank_line(arrival, due, "STRIPE TRANSFER", "Stripe", payout)


def _bills(q: _Quarter, first: dt.date) -> None:
    """Bills of the month from each vendor, each paid by bank transfer on the 28th."""
    for vendor, account, (low, high) in VENDOR_BILLS:
        bill_id = q.next("B-")
        issued = first + dt.timedelta(days=q.rng.randint(0, 8))
        cents = low if low == high else q.rng.randint(low // 100, high // 100) * 100
        q.add(issued, "bill", "bill", bill_id, vendor=_ref(_slug(vendor), vendor),
              number=f"{_slug(vendor)[:4].upper()}-{bill_id[2:]}", issue_date=issued.isoformat(),
              due_date=(issued + dt.timedelta(days=30)).isoformat(), currency=CURRENCY,
              lines=[{"description": f"{vendor} {first:%B}", "amount": _money(cents),
                      "account": account}])
        paid = first + dt.timedelta(days=27)
        payment = q.next("bp-")
        q.add(paid, "payment", "bill_payment", payment, direction="sent", date=paid.isoformat(),
              amount=_money(cents), currency=CURRENCY, method="bank_transfer",
              contact=_ref(_slug(vendor), vendor), reference=payment,
              applications=[{"document": _ref(bill_id), "document_type": "bill",
                             "amount": _money(cents)}])
        q.bank_line(paid, -cents, f"PAYMENT TO {vendor.upper()}", vendor, payment)


def _payroll(q: _Quarter, first: dt.date) -> None:
    """The month's pay run: net pay leaves the bank on the 25th."""
    pay_date = first.replace(day=25)
    last = (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    employees, total_net = [], 0
    for employee, gross in EMPLOYEES:
        withheld = gross * 2 // 10
        employer = gross * 765 // 10000
        total_net += gross - withheld
        employees.append({"employee": _ref(employee), "gross": _money(gross),
                          "employee_taxes": _money(withheld), "deductions": _money(0),
                          "net": _money(gross - withheld), "employer_taxes": _money(employer),
                          "employer_contributions": _money(0)})
    run = f"pr-{first:%Y-%m}"
    q.add(pay_date, "payroll_run", "payroll", run, period_start=first.isoformat(),
          period_end=last.isoformat(), pay_date=pay_date.isoformat(), currency=CURRENCY,
          status="paid", employees=employees)
    q.bank_line(pay_date, -total_net, f"PAYROLL {first:%b %Y}".upper(), "Payroll", run)


def company_documents(seed: int, start: dt.date = QUARTER_START) -> list[dict[str, Any]]:
    """The quarter's documents from ``start``, in the order the tools would send them."""
    if start.day != 1:
        raise ValueError(f"the quarter must start on the first of a month, not {start}")
    q = _Quarter(random.Random(seed), start)
    _contacts(q)
    for first in _months(start):
        _deals(q, first)
        _orders(q, first)
        _bills(q, first)
        _payroll(q, first)
        _payout(q, first + dt.timedelta(days=14))
        _payout(q, (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=3))
    return [document for _, _, document in sorted(q.documents, key=lambda d: d[:2])]


def company_jsonl(documents: Iterable[dict[str, Any]]) -> str:
    """The documents as JSON Lines, keys sorted: the same documents, the same bytes."""
    return "".join(json.dumps(d, sort_keys=True, ensure_ascii=False) + "\n" for d in documents)


def load_company(engine: Engine, connection: str, documents: list[dict[str, Any]],
                 progress: Callable[[int], None] | None = None) -> int:
    """Store the documents in ``connection``'s inbox as the gateway would; returns how many.

    Each document is its own event, keyed by type and external id, so loading the
    same company twice stores nothing new.
    """
    with engine.begin() as conn:
        record = get_connection(conn, connection)
        if record.system != "webhook":
            raise ValueError(f"connection {connection!r} is a {record.system} connection; "
                             "generated company data goes to a webhook connection")
        stored = 0
        for document in documents:
            body = json.dumps(document, sort_keys=True).encode()
            source = document["source"]
            event = RawEvent(body, event_id=f"company:{document['type']}:{source['external_id']}",
                             object_type=document["type"], object_id=source["external_id"],
                             object_version="1")
            stored += sum(not s.duplicate for s in store_events(conn, record.id, Channel.FILE,
                                                                [event]))
            if progress is not None:
                progress(1)
    return stored
