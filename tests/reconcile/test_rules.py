import pytest

from ledgerbridge.ledger import LedgerError, PeriodStatus
from ledgerbridge.reconcile import ReconcileError, accept, run, undo
from ledgerbridge.reconcile.rules import load_bank_rules
from tests.reconcile.test_cli_reconcile import run as cli
from tests.reconcile.test_reconcile import D, balance, bank, invoice, line_status, recs

RULES = """
bank_rules:
  - name: cloud hosting
    when: {description_contains: AWS}
    account: "6250"
    vendor: Amazon Web Services
  - when: {description_contains: [INTEREST, ZINS], direction: in, max_amount: "50.00"}
    account: "4900"
"""


def test_lines_nothing_matched_are_booked_by_the_first_rule_that_applies(ledger):
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    paid = bank(ledger, "1250.00", "INV-1001", "ACME CORP")
    aws = bank(ledger, "-312.40", "AWS EMEA 4411", "AMAZON WEB SERVICES")
    interest = bank(ledger, "3.17", "Zinsen / interest", None)
    big_interest = bank(ledger, "75.00", "INTEREST", None)
    result = run(ledger, rules=load_bank_rules(RULES))
    assert (result.auto_accepted, result.by_rule, result.unmatched) == (3, 2, 1)
    assert [line_status(ledger, k) for k in (paid, aws, interest, big_interest)] == [
        "reconciled", "reconciled", "reconciled", "unreconciled"]
    assert balance(ledger, "6250", "Amazon Web Services") == 31240
    assert balance(ledger, "4900") == -317
    assert balance(ledger, "1010") == 125000 - 31240 + 317
    rule_rec = next(r for r in recs(ledger) if r.kind == "rule" and "cloud" in r.reasons)
    undo(ledger, rule_rec.id)
    assert balance(ledger, "6250") == 0 and line_status(ledger, aws) == "unreconciled"


def test_a_matched_line_is_not_booked_by_a_rule(ledger):
    invoice(ledger, "Amazon Web Services", "312.40", "AWS-77")
    bank(ledger, "312.40", "AWS-77 REFUND", "AMAZON WEB SERVICES")
    run(ledger, rules=load_bank_rules(RULES))
    assert {r.kind for r in recs(ledger)} == {"item"}
    assert balance(ledger, "6250") == 0


def test_a_rule_line_in_a_locked_month_waits(ledger):
    ledger.set_period("2026-03", PeriodStatus.LOCKED)
    bank(ledger, "-20.00", "AWS", None, D)
    result = run(ledger, rules=load_bank_rules(RULES))
    assert (result.auto_accepted, result.suggested) == (0, 1)
    (rec,) = recs(ledger)
    assert "period 2026-03 is locked" in rec.reasons
    with pytest.raises(ReconcileError, match="bank rule"):
        accept(ledger, rec.id)


def test_bad_rules_are_refused_with_the_place(ledger):
    with pytest.raises(LedgerError, match=r"bank_rules\.0\.account"):
        load_bank_rules("bank_rules:\n  - when: {description_contains: X}\n")
    with pytest.raises(LedgerError, match="float"):
        load_bank_rules("bank_rules:\n  - {when: {max_amount: 9.99}, account: '6100'}\n")
    bank(ledger, "-20.00", "AWS", None)
    with pytest.raises(ReconcileError, match="'9999'"):
        run(ledger, rules=load_bank_rules("bank_rules:\n  - {account: '9999'}\n"))


def test_rules_file_from_the_cli(ledger, db_url, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    bank(ledger, "-99.00", "AWS", None)
    out = cli("reconcile", "run", "--rules", path, "--db", db_url).output
    assert "1 reconciled automatically (1 by bank rules)" in out
    assert balance(ledger, "6250") == 9900
