"""Books for the data quality, anomalies, forecast and categorize pages, seeded as in use.

Contacts and invoices go through ``apply_document``, bank lines are stored as an import
stores them and coded by bank rules, the model is trained, flags come from a scan.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ledgerbridge.intelligence.anomalies import scan
from ledgerbridge.intelligence.categorize.coding import train
from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.money import Money
from ledgerbridge.quality import resolve_contacts
from ledgerbridge.store.tables import anomaly_flags, contact_merges
from tests.intelligence.categorize.books import START, coded_history
from tests.quality.books import dirty_books
from tests.reconcile.test_reconcile import bank


def usd(minor: int) -> Money:
    """US dollars from minor units."""
    return Money(minor, "USD")


def cash_history(ledger: Ledger, today: dt.date) -> None:
    """Capital paid in, then four months of cash sales of varying size and a fortnightly rent."""
    capital = usd(10_000_000)
    ledger.post(Entry(today - dt.timedelta(days=200),
                      (Line("1010", capital), Line("3010", -capital)), "Owner's capital"))
    for k in range(1, 60):
        sale = usd(10_000 + k * 3_731 % 90_000)
        ledger.post(Entry(today - dt.timedelta(days=2 * k),
                          (Line("1010", sale), Line("4010", -sale)), f"Cash sale {k}"))
    for k in range(1, 10):
        ledger.post(Entry(today - dt.timedelta(days=14 * k),
                          (Line("6100", usd(200_000)), Line("1010", -usd(200_000))), "Rent"))


def double_payment(ledger: Ledger) -> None:
    """Acme Corp paid 990.00 twice today: a duplicate payment to flag."""
    for _ in range(2):
        bank(ledger, "-990.00", "ACH DEBIT", "Acme Corp", dt.date.today())


def unsure_line(ledger: Ledger) -> int:
    """A bank line no rule and no past merchant explains: it waits for review."""
    return bank(ledger, "-77.00", "ZXQ VENDOR", None, START)


def something_on_every_page(ledger: Ledger) -> dict[str, int]:
    """Merge proposals, an open flag and a line to code; returns their ids."""
    dirty_books(ledger)
    resolve_contacts(ledger)
    double_payment(ledger)
    scan(ledger)
    coded_history(ledger)
    train(ledger)
    with ledger.engine.connect() as conn:
        return {"merge": conn.execute(select(func.min(contact_merges.c.id))).scalar_one(),
                "flag": conn.execute(select(func.min(anomaly_flags.c.id))).scalar_one(),
                "line": unsure_line(ledger)}
