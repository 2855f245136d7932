"""A Gusto payroll run posts, the bank debits reconcile, and the liabilities net to zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerbridge.connectors.gusto.normalize import reference
from ledgerbridge.money import Money
from ledgerbridge.reconcile import accept, run
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.gusto.conftest import balances, control, work
from tests.reconcile.test_reconcile import balance, bank, recs

MARCH = {"start_date": "2026-03-01", "end_date": "2026-03-15", "check_date": "2026-03-20"}


def minor(text: str) -> int:
    return Money.parse(text, "USD").minor


def benefit_totals(payroll: dict) -> dict[str, int]:
    """Deduction plus contribution per benefit, from the emulator's own payroll."""
    found: dict[str, Decimal] = {}
    for comp in payroll["employee_compensations"]:
        for b in comp["benefits"]:
            found[b["name"]] = (found.get(b["name"], Decimal(0))
                                + Decimal(b["employee_deduction"])
                                + Decimal(b["company_contribution"]))
    return {name: minor(str(total)) for name, total in found.items()}


def test_run_posts_debits_reconcile_and_liabilities_net_to_zero(ledger, connection,
                                                                emulator):
    payroll = control(emulator, "payrolls", **MARCH)
    work(ledger)
    totals = payroll["totals"]
    books = balances(ledger)
    gross, employer = minor(totals["gross_pay"]), minor(totals["employer_taxes"])
    contributions = minor(totals["benefits"])
    assert books["6010"] == gross + contributions
    assert books["6020"] == employer
    # The tax debit is posted from Gusto's figures on the debit date; net pay waits.
    assert books["1010"] == -minor(totals["tax_debit"])

    ref = reference(payroll["uuid"])
    debit_day = dt.date(2026, 3, 18)
    bank(ledger, f"-{totals['net_pay_debit']}", f"GUSTO NET {ref} CCD", "Gusto", debit_day)
    bank(ledger, f"-{totals['tax_debit']}", f"GUSTO TAX {ref} CCD", "Gusto", debit_day)
    result = run(ledger)
    assert result.auto_accepted == 2
    assert balance(ledger, "2300", "Gusto") == 0
    owed = benefit_totals(payroll)
    assert balance(ledger, "2300") == -sum(owed.values())  # only the benefit providers

    bank(ledger, f"-{Money(owed['401(k)'], 'USD').text()}", "GUIDELINE 401K", "Guideline",
         dt.date(2026, 3, 23))
    bank(ledger, f"-{Money(owed['Medical Insurance'], 'USD').text()}", "ANTHEM PREMIUM",
         "Anthem", dt.date(2026, 3, 24))
    run(ledger)
    for rec in recs(ledger):
        if rec.status == "proposed":
            accept(ledger, rec.id)
    assert balance(ledger, "2300") == 0
    assert balances(ledger)["1010"] == -(gross + employer + contributions)


def test_reversal_voids_every_entry_of_the_run(ledger, connection, emulator):
    payroll = control(emulator, "payrolls", **MARCH)
    work(ledger)
    control(emulator, f"payrolls/{payroll['uuid']}/reverse", reason="Duplicate run")
    work(ledger)
    assert balances(ledger) == {}


def test_off_cycle_correction_posts_the_difference(ledger, connection, emulator, company):
    control(emulator, "payrolls", **MARCH)
    work(ledger)
    before = balances(ledger)
    ada = next(e.uuid for e in company.employees.values() if e.first_name == "Ada")
    fix = control(emulator, "payrolls", **MARCH, off_cycle_reason="Correction",
                  gross={ada: "250.00"})
    work(ledger)
    after = balances(ledger)
    assert fix["off_cycle"] is True
    extra = minor(fix["totals"]["gross_pay"]) + minor(fix["totals"]["benefits"])
    assert after["6010"] - before["6010"] == extra == 25000 + 750  # 3 % 401(k) match


def test_a_period_across_a_month_end_is_accrued_into_each_month(ledger, connection,
                                                               emulator):
    payroll = control(emulator, "payrolls", start_date="2026-03-25", end_date="2026-04-07",
                      check_date="2026-04-10")
    work(ledger)
    march = balances_until(ledger, dt.date(2026, 3, 31))
    expense = minor(payroll["totals"]["gross_pay"]) + minor(payroll["totals"]["benefits"])
    assert march["6010"] == round(expense * Decimal(7) / 14)  # 25..31 March of 14 days
    assert march["2350"] == -march["6010"] - march["6020"]
    everything = balances(ledger)
    assert everything["6010"] == expense and "2350" not in everything


def test_polling_after_webhooks_posts_nothing_twice(ledger, connection, emulator):
    control(emulator, "payrolls", **MARCH)
    work(ledger)
    once = balances(ledger)
    poll_connection(ledger.engine, connection)
    work(ledger)
    assert balances(ledger) == once


def balances_until(ledger, end: dt.date) -> dict[str, int]:
    """Net balances of every account up to ``end``."""
    from ledgerbridge.ledger.reports import trial_balance

    return {row["account"]: row["debit"] - row["credit"]
            for row in trial_balance(ledger, end=end).rows if row["debit"] != row["credit"]}
