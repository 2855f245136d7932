import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import insert
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.intelligence.forecast import Deal, load_history
from ledgerbridge.ledger import Entry, Line
from ledgerbridge.money import Money
from ledgerbridge.store.tables import connections, documents

runner = CliRunner()
AS_OF = dt.date(2026, 3, 31)


def usd(minor):
    return Money(minor, "USD")


def books(ledger):
    """An invoice paid late into checking, an open one, payroll, and a deal in the CRM."""
    ledger.post_many([
        Entry(dt.date(2026, 1, 5), (Line("1010", usd(500_000)), Line("3010", usd(-500_000))),
              "Capital"),
        Entry(dt.date(2026, 1, 10), (Line("1100", usd(80_000), party="Acme Corp",
                                          due_date=dt.date(2026, 2, 9)),
                                     Line("4020", usd(-80_000))), "INV-1"),
        Entry(dt.date(2026, 2, 14), (Line("1010", usd(80_000)),
                                     Line("1100", usd(-80_000), party="Acme Corp")), "Paid INV-1"),
        Entry(dt.date(2026, 3, 20), (Line("1100", usd(30_000), party="Acme Corp",
                                          due_date=dt.date(2026, 4, 19)),
                                     Line("4020", usd(-30_000))), "INV-2"),
        Entry(dt.date(2026, 3, 25), (Line("6010", usd(120_000)), Line("1010", usd(-120_000))),
              "Payroll"),
    ])
    deal = {"type": "deal", "source": {"connection": "crm", "object_type": "deal",
                                       "external_id": "d-1"},
            "name": "Renewal", "stage": "contractsent", "amount": "1000.00", "currency": "USD",
            "close_date": "2026-04-15", "company": {"external_id": "c-1", "name": "Acme Corp"}}
    with ledger.engine.begin() as conn:
        crm = conn.execute(insert(connections).values(
            name="crm", system="webhook", entity_id=ledger.entity.id)).inserted_primary_key[0]
        conn.execute(insert(documents).values(
            connection_id=crm, type="deal", external_id="d-1", version="1", content_hash="h",
            data=json.dumps(deal), status="current"))


def test_history_reads_balances_flows_open_items_and_deals(ledger):
    books(ledger)
    history = load_history(ledger, AS_OF)
    assert history.balances == {"1010": 460_000, "1020": 0}
    assert [(f.label, f.amount, f.settles) for f in history.flows] == [
        ("Capital", 500_000, False), ("Acme Corp", 80_000, True), ("Payroll", -120_000, False)]
    assert [(p.amount, p.account) for p in history.receivables] == [
        (80_000, None), (-80_000, "1010"), (30_000, None)]
    assert history.deals == (Deal("Renewal", "Acme Corp", 100_000, 90, dt.date(2026, 4, 15)),)
    assert load_history(ledger, dt.date(2026, 1, 31)).balances["1010"] == 500_000


def test_forecast_command_prints_the_band_as_json_and_refuses_unknown_accounts(ledger, db_url):
    books(ledger)
    args = ["forecast", "--db", db_url, "--as-of", "2026-03-31", "--days", "30"]
    result = runner.invoke(app, [*args, "--format", "json", "--simulations", "50"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["account"] == "total" and len(data["rows"]) == 30
    assert data["components"]["open receivables"] == "300.00"
    last = data["rows"][-1]
    assert Decimal(last["low"]) <= Decimal(last["median"]) <= Decimal(last["high"])
    refused = runner.invoke(app, [*args, "--account", "1999"])
    assert refused.exit_code == 1 and "no bank account '1999'" in refused.output
