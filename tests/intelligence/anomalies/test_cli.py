import datetime as dt
import json

from typer.testing import CliRunner

from ledgerbridge.cli import app
from tests.intelligence.anomalies.test_scan import add_debits

runner = CliRunner()


def run(*args, code=0):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


def test_scan_list_check_and_dismiss_from_the_cli(ledger, db_url):
    day = dt.date(2026, 3, 2)
    add_debits(ledger, (day, 250_000, "Acme Corp"), (day, 250_000, "ACME CORP"))
    assert "2 outflows checked: 1 flags, 1 of them new" in run("anomalies", "scan",
                                                               "--db", db_url).output
    listed = json.loads(run("anomalies", "list", "--format", "json", "--db", db_url).stdout)
    (flag,) = listed["flags"]
    assert flag["kind"] == "duplicate_payment" and flag["amount"] == "2500.00"
    assert flag["records"] == "bank_line:1 bank_line:2"
    held = run("anomalies", "check", "--db", db_url, code=1).output
    assert "1 open flags hold the payment run" in held
    assert "dismissed by ana" in run("anomalies", "dismiss", flag["id"], "--by", "ana",
                                     "--db", db_url).output
    assert "clear to pay" in run("anomalies", "check", "--db", db_url).output
    assert "already dismissed" in run("anomalies", "dismiss", flag["id"], "--db", db_url,
                                      code=1).output
    gone = json.loads(run("anomalies", "list", "--status", "dismissed", "--format", "json",
                          "--db", db_url).stdout)
    assert [f["status"] for f in gone["flags"]] == ["dismissed"]
