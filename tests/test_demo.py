import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from ledgerbridge.ledger import reports
from ledgerbridge.report import to_json_obj
from ledgerbridge.sandbox.demo import LAST_DAY, run_demo


def test_demo_builds_a_consistent_company(tmp_path):
    out = io.StringIO()
    ledger = run_demo(tmp_path, Console(file=out, width=160))
    text = out.getvalue()
    for expected in ("Trial balance", "Balance sheet", "Accounts receivable aging",
                     "Audit trail of entry", "401", "Where to look"):
        assert expected in text
    totals = to_json_obj(reports.trial_balance(ledger, end=LAST_DAY))["totals"]
    assert totals["debit"] == totals["credit"]
    bean_check = Path(sys.executable).with_name("bean-check")
    done = subprocess.run([bean_check, tmp_path / "books.beancount"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "entries.jsonl").read_text().count("\n") > 200
    # running it again starts afresh rather than doubling the books
    run_demo(tmp_path, Console(file=io.StringIO()))
