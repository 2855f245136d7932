import pytest
from sqlalchemy import select

from ledgerbridge.ledger import PeriodStatus
from ledgerbridge.reconcile import ReconcileError, book_lines, run, undo
from ledgerbridge.reconcile.rules import BankRule, Condition
from ledgerbridge.store.tables import accounts, journal_entries, journal_lines
from tests.reconcile.test_reconcile import D, balance, bank, invoice, line_status, recs

HOSTING = BankRule(name="hosting", account="6250", vendor="Amazon Web Services")


def entry_lines(ledger, entry_id):
    """An entry's lines as (account, amount, party, memo), and its lineage."""
    with ledger.engine.connect() as conn:
        lines = conn.execute(select(accounts.c.code, journal_lines.c.amount,
                                    journal_lines.c.party, journal_lines.c.memo).join(
            accounts, accounts.c.id == journal_lines.c.account_id).where(
            journal_lines.c.entry_id == entry_id).order_by(journal_lines.c.line_no)).all()
        lineage = conn.execute(select(journal_entries.c.object_type,
                                      journal_entries.c.external_id).where(
            journal_entries.c.id == entry_id)).one()
    return [tuple(r) for r in lines], tuple(lineage)


def test_booking_lines_touches_only_those_lines(ledger):
    coded = [bank(ledger, f"-{k}0.00", f"AWS EMEA {k}", None) for k in range(1, 4)]
    invoice(ledger, "Acme Corp", "1250.00", "INV-1001")
    paid = bank(ledger, "1250.00", "PAYMENT INV-1001", "ACME CORP")
    other = bank(ledger, "-99.00", "AWS EMEA 9", None)  # the rule would hold for it too
    result = book_lines(ledger, dict.fromkeys(coded, HOSTING))
    assert (result.bank_lines, result.auto_accepted, result.by_rule) == (3, 3, 3)
    assert [line_status(ledger, k) for k in coded] == ["reconciled"] * 3
    assert (line_status(ledger, paid), line_status(ledger, other)) == ("unreconciled",) * 2
    assert balance(ledger, "1100", "Acme Corp") == 125000  # the sure match was not accepted
    assert balance(ledger, "6250", "Amazon Web Services") == 6000
    assert {r.kind for r in recs(ledger)} == {"rule"}
    assert run(ledger).auto_accepted == 1  # a run still finds the match afterwards


def test_a_booking_is_the_one_a_bank_rule_makes_and_undoes_like_it(ledger):
    by_run = bank(ledger, "-312.40", "AWS EMEA 4411", "AMAZON")
    by_rule = BankRule(name="hosting", when=Condition(description_contains=("4411",)),
                       account="6250", vendor="Amazon Web Services")
    run(ledger, rules=[by_rule])
    booked = bank(ledger, "-312.40", "AWS EMEA 4411", "AMAZON")
    book_lines(ledger, {booked: HOSTING}, account="1010")
    first, second = recs(ledger)
    assert (first.kind, second.kind) == ("rule", "rule")
    assert (first.reasons, second.reasons) == ("bank rule hosting",) * 2
    (run_lines, run_lineage), (our_lines, our_lineage) = (
        entry_lines(ledger, r.entry_id) for r in (first, second))
    assert our_lines == run_lines
    assert (run_lineage, our_lineage) == (("bank_line", str(by_run)), ("bank_line", str(booked)))
    undo(ledger, second.id)
    assert line_status(ledger, booked) == "unreconciled"
    assert balance(ledger, "6250") == 31240


def test_a_line_a_candidate_matches_gets_its_proposals_instead(ledger):
    invoice(ledger, "Amazon Web Services", "312.40", "AWS-77")
    refund = bank(ledger, "312.40", "AWS-77 REFUND", "AMAZON WEB SERVICES")
    run(ledger)
    before = [r.id for r in recs(ledger)]
    undo(ledger, before[0])
    result = book_lines(ledger, {refund: HOSTING})
    assert (result.auto_accepted, result.suggested) == (0, 1)
    assert line_status(ledger, refund) == "unreconciled"
    assert [r.kind for r in recs(ledger) if r.status == "proposed"] == ["item"]
    assert balance(ledger, "6250") == 0


def test_a_line_in_a_locked_month_keeps_a_rule_proposal(ledger):
    ledger.set_period("2026-03", PeriodStatus.LOCKED)
    line = bank(ledger, "-20.00", "AWS", None, D)
    assert book_lines(ledger, {line: HOSTING}).suggested == 1
    assert book_lines(ledger, {line: HOSTING}).suggested == 1  # replaced, not added
    (rec,) = recs(ledger)
    assert (rec.kind, rec.status) == ("rule", "proposed")
    assert "period 2026-03 is locked" in rec.reasons


def test_lines_not_open_and_unknown_accounts_are_refused(ledger):
    line = bank(ledger, "-20.00", "AWS", None)
    done = bank(ledger, "-30.00", "AWS", None, status="reconciled")
    with pytest.raises(ReconcileError, match=f"bank line {done} is not an open"):
        book_lines(ledger, {line: HOSTING, done: HOSTING})
    with pytest.raises(ReconcileError, match="'9999'"):
        book_lines(ledger, {line: BankRule(account="9999")})
    assert line_status(ledger, line) == "unreconciled" and recs(ledger) == []
    assert book_lines(ledger, {}).bank_lines == 0
