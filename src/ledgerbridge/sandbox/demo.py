"""A demo company: ten months of realistic books, posted and reported.

``ledgerbridge demo`` writes the company's journal as JSON Lines (the same format
``ledgerbridge post`` reads), posts it into a fresh SQLite ledger, closes and locks
months, reverses a mistaken entry, then prints the reports and writes the exports.
Everything is generated from a fixed seed, so two runs give the same books.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from ledgerbridge.ledger import Ledger, PeriodStatus
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.ledger.jsonl import EntryReader
from ledgerbridge.store import make_engine, upgrade

__all__ = ["demo_entries", "run_demo"]

YEAR = 2026
LAST_DAY = dt.date(YEAR, 10, 31)
CUSTOMERS = ["Acme Corp", "Globex Inc", "Initech LLC", "Umbrella Health", "Stark Retail",
             "Wayne Logistics", "Hooli", "Vandelay Imports"]
EUR_CUSTOMER = "Müller Maschinenbau GmbH"


def _line(account: str, side: str, amount: str, **extra: str) -> dict:
    return {"account": account, side: amount, **extra}


def _entry(day: dt.date, memo: str, *lines: dict, key: str | None = None) -> dict:
    record = {"date": day.isoformat(), "memo": memo, "lines": list(lines)}
    if key:
        record["key"] = key
    return record


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def demo_entries(seed: int = 7) -> Iterator[dict]:
    """Yield the demo company's journal entries, in date order, as JSON-ready dicts."""
    rng = random.Random(seed)
    yield _entry(dt.date(YEAR, 1, 2), "Owner investment",
                 _line("1010", "debit", "60000.00"), _line("3010", "credit", "60000.00"))
    invoice_no = 1000
    for month in range(1, 11):
        first = dt.date(YEAR, month, 1)
        yield _entry(first, "Office rent", _line("6100", "debit", "3500.00"),
                     _line("1010", "credit", "3500.00"), key=f"rent-{month}")
        for vendor, account, cents in (("Amazon Web Services", "6250", 41233 + 997 * month),
                                        ("Slack", "6200", 12500), ("Google Workspace", "6200",
                                                                   7200)):
            yield _entry(first + dt.timedelta(days=4), f"{vendor} subscription",
                         _line(account, "debit", _cents(cents), party=vendor),
                         _line("2100", "credit", _cents(cents)))
        # Payroll: gross wages, withholding and employer taxes to liabilities, net from the bank.
        gross, withheld, employer = 1800000, 360000, 137700
        payday = dt.date(YEAR, month, 25)
        yield _entry(payday, f"Payroll {first:%B}",
                     _line("6010", "debit", _cents(gross)),
                     _line("6020", "debit", _cents(employer)),
                     _line("2300", "credit", _cents(withheld + employer)),
                     _line("1010", "credit", _cents(gross - withheld)))
        yield _entry(payday + dt.timedelta(days=3), "Payroll taxes remitted",
                     _line("2300", "debit", _cents(withheld + employer)),
                     _line("1010", "credit", _cents(withheld + employer)))
        # Sales invoices on 30-day terms, most paid, some partly, some late.
        for _ in range(rng.randint(5, 8)):
            invoice_no += 1
            customer = rng.choice(CUSTOMERS)
            issued = first + dt.timedelta(days=rng.randint(0, 26))
            net = rng.randint(80, 900) * 1000
            tax = net * 825 // 10000
            due = issued + dt.timedelta(days=30)
            yield _entry(issued, f"Invoice {invoice_no} to {customer}",
                         _line("1100", "debit", _cents(net + tax), party=customer,
                               due_date=due.isoformat()),
                         _line("4020", "credit", _cents(net)),
                         _line("2200", "credit", _cents(tax), memo="Sales tax 8.25% (TX)"),
                         key=f"inv-{invoice_no}")
            paid_on = issued + dt.timedelta(days=rng.choice([12, 25, 29, 41, 75]))
            share = rng.choice([100, 100, 100, 50, 0])
            if share and paid_on <= LAST_DAY:
                amount = (net + tax) * share // 100
                yield _entry(paid_on, f"Payment from {customer} for invoice {invoice_no}",
                             _line("1010", "debit", _cents(amount)),
                             _line("1100", "credit", _cents(amount), party=customer),
                             key=f"pay-{invoice_no}")
        # Card sales through a processor: gross to sales, fee to expense, net to clearing,
        # then a payout to the bank through funds in transit.
        gross_card = rng.randint(4000, 9000) * 100
        fee = gross_card * 29 // 1000 + 30 * 40
        day = first + dt.timedelta(days=14)
        yield _entry(day, "Card sales (processor, first half)",
                     _line("1150", "debit", _cents(gross_card - fee)),
                     _line("6600", "debit", _cents(fee)),
                     _line("4010", "credit", _cents(gross_card)))
        yield _entry(day + dt.timedelta(days=2), "Processor payout initiated",
                     _line("1160", "debit", _cents(gross_card - fee)),
                     _line("1150", "credit", _cents(gross_card - fee)))
        yield _entry(day + dt.timedelta(days=4), "Processor payout arrived",
                     _line("1010", "debit", _cents(gross_card - fee)),
                     _line("1160", "credit", _cents(gross_card - fee)))
        # Professional fees billed by a vendor, paid on terms.
        bill = rng.randint(15, 40) * 10000
        billed = first + dt.timedelta(days=9)
        yield _entry(billed, "Bill from Baker & Co CPAs",
                     _line("6450", "debit", _cents(bill)),
                     _line("2010", "credit", _cents(bill), party="Baker & Co CPAs",
                           due_date=(billed + dt.timedelta(days=30)).isoformat()))
        if month < 10:
            yield _entry(billed + dt.timedelta(days=28), "Paid Baker & Co CPAs",
                         _line("2010", "debit", _cents(bill), party="Baker & Co CPAs"),
                         _line("1010", "credit", _cents(bill)))
        # The company card is paid off each month.
        yield _entry(first + dt.timedelta(days=20), "Company card statement paid",
                     _line("2100", "debit", _cents(41233 + 997 * month + 12500 + 7200)),
                     _line("1010", "credit", _cents(41233 + 997 * month + 12500 + 7200)))
    # A euro invoice, and its payment at a better rate: the difference is an FX gain.
    yield _entry(dt.date(YEAR, 9, 3), f"Invoice {invoice_no + 1} to {EUR_CUSTOMER}",
                 _line("1100", "debit", "4000.00", currency="EUR", rate="1.0857",
                       party=EUR_CUSTOMER, due_date="2026-10-03"),
                 _line("4020", "credit", "4000.00", currency="EUR", rate="1.0857"))
    yield _entry(dt.date(YEAR, 10, 1), f"Payment from {EUR_CUSTOMER} (EUR 4,000 at 1.1030)",
                 _line("1010", "debit", "4412.00"),
                 _line("1100", "credit", "4000.00", currency="EUR", rate="1.0857",
                       party=EUR_CUSTOMER),
                 _line("4920", "credit", "69.20", memo="Realized FX gain"))
    # A mistake: rent posted twice in October (the demo reverses it).
    yield _entry(dt.date(YEAR, 10, 2), "Office rent (entered twice by mistake)",
                 _line("6100", "debit", "3500.00"), _line("1010", "credit", "3500.00"))


def run_demo(directory: Path, console: Console) -> Ledger:
    """Build the demo company in ``directory`` and print what was done."""
    # Imported here so the demo is the only command that pays for every module.
    from ledgerbridge.ledger import reports
    from ledgerbridge.ledger.exports import write_beancount, write_hledger
    from ledgerbridge.report import to_table
    from ledgerbridge.sandbox.demo_sales import run_sales_demo
    from ledgerbridge.sandbox.demo_sync import run_sync_demo
    from ledgerbridge.web.users import Role, add_user

    directory.mkdir(parents=True, exist_ok=True)
    db_path = directory / "ledgerbridge.db"
    for leftover in directory.glob("ledgerbridge.db*"):
        leftover.unlink()
    journal = directory / "entries.jsonl"
    with journal.open("w", encoding="utf-8") as out:
        for record in demo_entries():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")

    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    upgrade(engine)
    ledger = Ledger.create(engine, name="Northwind Goods LLC", currency="USD",
                           chart=standard_chart())
    with journal.open(encoding="utf-8") as handle:
        result = ledger.post_many(EntryReader(handle, "USD"))
    mistake = result.last_id
    reversal = ledger.reverse(mistake, memo="Reverse duplicate October rent")
    for month in ("2026-01", "2026-02", "2026-03"):
        ledger.set_period(month, PeriodStatus.LOCKED)
    ledger.set_period("2026-09", PeriodStatus.CLOSED)

    console.rule("[bold]ledgerbridge demo: Northwind Goods LLC")
    console.print(
        f"Posted {result.posted} journal entries from {journal} into {db_path}.\n"
        f"Entry {mistake} was a duplicate rent payment; entry {reversal} reverses it "
        "(posted entries are never edited).\n"
        "Closed 2026-09 (adjusting entries only) and locked 2026-01..2026-03 (no postings).",
        highlight=False,
    )
    console.print(to_table(reports.trial_balance(ledger, end=LAST_DAY)))
    console.print(to_table(reports.income_statement(ledger, start=dt.date(YEAR, 1, 1),
                                                    end=LAST_DAY)))
    console.print(to_table(reports.balance_sheet(ledger, end=LAST_DAY)))
    console.print(to_table(reports.aging(ledger, "receivable", as_of=LAST_DAY)))
    console.rule("[bold]Syncing: a tool posts documents to the webhook gateway")
    synced_entry = run_sync_demo(ledger, console)
    console.rule("[bold]The sales loop: HubSpot deal -> invoice -> Stripe -> bank -> \"Paid\"")
    run_sales_demo(ledger, console)
    add_user(engine, "demo", "northwind", Role.ADMIN)  # a local sandbox: the password is public
    beancount_file, hledger_file = directory / "books.beancount", directory / "books.journal"
    with beancount_file.open("w", encoding="utf-8") as out:
        write_beancount(ledger, out)
    with hledger_file.open("w", encoding="utf-8") as out:
        write_hledger(ledger, out)
    db = f"--db {url}"
    console.print(
        "\n[bold]Where to look[/]\n"
        f"  journal entries (JSON Lines)  {journal}\n"
        f"  ledger database (SQLite)      {db_path}\n"
        f"  beancount export              {beancount_file}  (bean-check accepts it)\n"
        f"  hledger export                {hledger_file}\n"
        "\n[bold]Try[/]\n"
        f"  .venv/bin/ledgerbridge report trial-balance {db} --format json\n"
        f"  .venv/bin/ledgerbridge report general-ledger 1010 {db} --end 2026-10-31\n"
        f"  .venv/bin/ledgerbridge report aging payable {db} --as-of 2026-10-31\n"
        f"  .venv/bin/ledgerbridge entry show {mistake} {db}\n"
        f"  .venv/bin/ledgerbridge period list {db}\n"
        f"  .venv/bin/ledgerbridge audit {synced_entry} {db}\n"
        f"  .venv/bin/ledgerbridge connections status {db}\n"
        f"  .venv/bin/ledgerbridge report payouts {db}\n"
        f"  .venv/bin/ledgerbridge reconcile report --account 1010 {db}\n"
        f"  .venv/bin/ledgerbridge serve {db}\n"
        "      then open http://127.0.0.1:8000 and log in as demo / northwind (the dashboard;\n"
        "      the webhook gateway and OpenAPI at /docs are served there too)",
        highlight=False,
        soft_wrap=True,
    )
    return ledger
