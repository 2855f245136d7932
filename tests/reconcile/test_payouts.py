"""Three-way payout reconciliation: transactions sum to the payout, the payout lands."""

import json

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.reconcile import run
from ledgerbridge.reconcile.payouts import check_payouts, payout_report
from ledgerbridge.report import write_json
from ledgerbridge.sync.connections import add_connection
from tests.reconcile.test_reconcile import balance, bank
from tests.sync.conftest import SECRET
from tests.sync.test_worker import deliver, work


@pytest.fixture
def hook(ledger):
    return add_connection(ledger.engine, "hook", "webhook", settings={"secret": SECRET})


def charge(number, gross, fee):
    return {"type": "payment", "source": {"connection": "stripe", "object_type": "charge",
                                          "external_id": f"ch_{number}"},
            "date": "2026-03-02", "amount": gross, "fee": fee, "currency": "USD",
            "method": "card", "processor": "stripe"}


def payout(number, net, transactions, status="paid"):
    return {"type": "payout", "source": {"connection": "stripe", "object_type": "payout",
                                         "external_id": f"po_{number}"},
            "processor": "stripe", "date": "2026-03-03", "status": status, "currency": "USD",
            "gross": net, "fees": "0.00", "net": net,
            "balance_transactions": [
                {"external_id": f"txn_{n}", "kind": "payment", "gross": g, "fee": f, "net": t}
                for n, (g, f, t) in enumerate(transactions)]}


def test_payouts_sum_land_and_empty_the_clearing_account(ledger, hook):
    for document in (charge(1, "100.00", "3.20"), charge(2, "50.00", "1.75"),
                     payout(1, "145.05", [("100.00", "3.20", "96.80"), ("50.00", "1.75", "48.25")]),
                     charge(3, "20.00", "0.88"),
                     payout(2, "19.12", [("20.00", "1.00", "19.00")]),
                     payout(3, "10.00", [], status="failed")):
        deliver(ledger, hook, document)
    assert work(ledger).dead == 0
    bank(ledger, "145.05", "STRIPE PAYOUT", "Stripe")
    # the deposit matches the payout's transit line, whose party is the processor
    assert run(ledger, account="1010").auto_accepted == 1

    checks = {c.payout.source.external_id: c for c in check_payouts(ledger)}
    assert checks["po_1"].problem is None and checks["po_1"].landed_on is not None
    assert checks["po_2"].difference.minor == 12
    assert "add up to 19.00, not 19.12" in checks["po_2"].problem
    assert "failed" in checks["po_3"].problem
    assert balance(ledger, "1160") == 1912  # po_2 is still in transit
    assert balance(ledger, "1150") == 15000 + 2000 - 320 - 175 - 88 - 14505 - 1912

    report = payout_report(ledger, problems_only=True)
    assert [r["payout"] for r in report.rows] == ["po_2", "po_3"]
    assert report.meta["transit"] == "19.12"


def test_payout_report_renders_as_json(ledger, hook, tmp_path):
    deliver(ledger, hook, payout(9, "5.00", [("5.00", "0.00", "5.00")]))
    work(ledger)
    out = tmp_path / "payouts.json"
    with out.open("w") as handle:
        write_json(payout_report(ledger), handle)
    data = json.loads(out.read_text())
    assert data["payouts"][0]["transactions_net"] == "5.00"
    assert data["payouts"][0]["problem"].startswith("paid out, but no bank line")


def test_payouts_command_lists_problems_as_csv(ledger, hook, db_url):
    deliver(ledger, hook, payout(7, "8.00", [("9.00", "1.00", "8.00")]))
    deliver(ledger, hook, payout(8, "3.00", [], status="failed"))
    work(ledger)
    result = CliRunner().invoke(app, ["report", "payouts", "--db", db_url, "--entity",
                                      ledger.entity.code, "--problems", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("connection,payout,date,status,net")
    assert len(lines) == 3 and "po_8" in lines[2] and "failed" in lines[2]
