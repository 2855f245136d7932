import json

from typer.testing import CliRunner

from ledgerbridge.cli import app
from tests.reconcile.test_reconcile import balance, bank, invoice

runner = CliRunner()


def run(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args])
    assert (result.exit_code == 0) == ok, result.output
    return result


def test_run_status_accept_undo_from_the_cli(ledger, db_url):
    invoice(ledger, "Acme Corp", "500.00", "INV-1001")
    bank(ledger, "500.00", "ACME CORP PAYMENT INV-1001", "ACME CORP")
    invoice(ledger, "Globex Inc", "250.00", "INV-1002")
    bank(ledger, "250.00", "TRANSFER", "GLBX TRADING")
    out = run("reconcile", "run", "--account", "1010", "--db", db_url).output
    assert "1 reconciled automatically" in out
    assert balance(ledger, "1100", "Acme Corp") == 0
    status = json.loads(run("reconcile", "status", "--format", "json", "--db", db_url).stdout)
    (proposal,) = [p for p in status["proposals"] if p["description"] == "TRANSFER"]
    assert proposal["amount"] == "250.00" and proposal["reasons"]
    accepted = run("reconcile", "accept", str(proposal["id"]), "--db", db_url).output
    assert "accepted; posted entry" in accepted
    assert balance(ledger, "1100", "Globex Inc") == 0
    assert "undone; reversal entry" in run("reconcile", "undo", str(proposal["id"]),
                                           "--db", db_url).output
    assert balance(ledger, "1100", "Globex Inc") == 25000
    assert "error" in run("reconcile", "accept", "99999", "--db", db_url, ok=False).output
