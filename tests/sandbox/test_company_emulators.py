"""The generated company through the HubSpot, Stripe, Gusto and Plaid emulators.

The ledger's totals are checked against the generator's own documents, not against
what the emulators answered: the same quarter, reached through four wire formats,
must add up to the same figures.
"""

from __future__ import annotations

import json
import shutil

from sqlalchemy import select
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.ledger.reports import trial_balance
from ledgerbridge.money import Money
from ledgerbridge.sandbox.company import EMPLOYEES, company_documents
from ledgerbridge.sandbox.company_emulators import CARD_VENDORS, SYSTEMS, run_company_emulated
from ledgerbridge.store import make_engine
from ledgerbridge.store.tables import journal_entries, journal_lines

SEED = 5
runner = CliRunner()


def cents(text: str) -> int:
    return Money.parse(text, "USD").minor


def card_fee(amount: int) -> int:
    """Stripe's standard pricing, 2.9% + 30 cents, as the generator states it."""
    return (amount * 29 + 500) // 1000 + 30


def balances(ledger: Ledger) -> dict[str, int]:
    """Net balance (debit positive) of every account with lines."""
    return {row["account"]: row["debit"] - row["credit"]
            for row in trial_balance(ledger).rows}


def book(ledger: Ledger) -> list[tuple]:
    """Every entry with its lines, comparable across databases."""
    query = select(journal_entries.c.date, journal_entries.c.memo,
                   journal_entries.c.connection, journal_entries.c.external_id,
                   journal_lines.c.account_id, journal_lines.c.amount).join(
        journal_lines, journal_lines.c.entry_id == journal_entries.c.id).order_by(
        journal_entries.c.id, journal_lines.c.id)
    with ledger.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def generated(seed: int) -> dict[str, list[dict]]:
    """The generator's documents of the quarter, by type."""
    found: dict[str, list[dict]] = {}
    for doc in company_documents(seed):
        found.setdefault(doc["type"], []).append(doc)
    return found


def test_the_emulated_quarter_posts_the_generators_figures(sqlite_ledger):
    runs = run_company_emulated(sqlite_ledger, SEED)
    quarter = generated(SEED)

    assert [r.system for r in runs] == list(SYSTEMS)
    assert all(r.seeded and r.events for r in runs)
    assert sum(r.exceptions for r in runs) == 0
    books = balances(sqlite_ledger)
    # Every invoice is paid, every payout landed and every Gusto debit cleared.
    for cleared in ("1100", "1150", "1160", "2300"):
        assert books.get(cleared, 0) == 0, cleared
    assert -books["4020"] == sum(cents(d["amount"]) for d in quarter["deal"])
    assert -books["4010"] == sum(cents(line["unit_price"]) * int(line["quantity"])
                                 for d in quarter["order"] for line in d["lines"])
    assert -books["4030"] == sum(cents(d["shipping_total"]) for d in quarter["order"])
    assert books["6010"] == 3 * sum(gross for _, gross in EMPLOYEES)
    card = [line for d in quarter["bill"] if d["vendor"]["name"] in CARD_VENDORS
            for line in d["lines"]]
    for account in ("6200", "6250"):
        assert books[account] == sum(cents(x["amount"]) for x in card if x["account"] == account)
    assert -books["2100"] == sum(cents(x["amount"]) for x in card)  # owed on the card
    assert sum(books.values()) == 0


def test_the_same_seed_gives_the_same_ledger_and_a_second_run_posts_nothing(
        sqlite_ledger, _sqlite_template, tmp_path):
    shutil.copy(_sqlite_template, tmp_path / "other.db")
    other_engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    other = Ledger.create(other_engine, name="Other Co", currency="USD",
                          chart=standard_chart())
    systems = ("hubspot", "stripe", "plaid")  # the shop's orders are card sales in Stripe
    run_company_emulated(sqlite_ledger, 11, systems=systems)
    run_company_emulated(other, 11, systems=systems)
    first = book(sqlite_ledger)
    assert first and first == book(other)
    other_engine.dispose()

    quarter = generated(11)
    card = [cents(d["amount"]) for d in quarter["payment"] if d.get("processor") == "stripe"]
    orders = [cents(d["total"]) for d in quarter["order"]]
    books = balances(sqlite_ledger)
    assert books.get("1150", 0) == books.get("1160", 0) == 0
    assert -books["4010"] == sum(orders)
    assert books["4060"] == sum(cents(d["amount"]) for d in quarter["refund"])
    assert books["6600"] == sum(card_fee(amount) for amount in card + orders)

    again = run_company_emulated(sqlite_ledger, 11, systems=systems)
    assert [(r.events, r.entries) for r in again] == [(0, 0)] * len(systems)
    assert all(r.seeded for r in again)
    assert book(sqlite_ledger) == first


def test_sandbox_company_emulators_prints_the_summary_and_refuses_unknown_systems(
        sqlite_ledger, sqlite_url):
    result = runner.invoke(app, ["sandbox", "company", "--seed", "2", "--emulators",
                                 "--systems", "stripe,gusto", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "company-stripe" in result.output and "company-gusto" in result.output
    assert "Trial balance" in result.output
    again = runner.invoke(app, ["sandbox", "company", "--seed", "2", "--emulators",
                                "--systems", "stripe,gusto", "--db", sqlite_url,
                                "--format", "json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert [(r["system"], r["events"], r["entries"]) for r in summary["rows"]] == [
        ("stripe", 0, 0), ("gusto", 0, 0)]
    bad = runner.invoke(app, ["sandbox", "company", "--emulators", "--systems", "stripe,fax",
                              "--db", sqlite_url])
    assert bad.exit_code == 1
    assert "no emulated company for fax" in bad.output
    assert runner.invoke(app, ["sandbox", "company", "--emulators", "--systems", ",",
                               "--db", sqlite_url]).exit_code == 1
