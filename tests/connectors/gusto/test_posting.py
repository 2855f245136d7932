"""Payroll posting: expense by department, a liability per tax and benefit, editable accounts."""

from __future__ import annotations

import datetime as dt

from ledgerbridge.connectors.gusto.normalize import bundle, payroll_documents
from ledgerbridge.ledger import Account, AccountType
from ledgerbridge.mapping import load_rules
from tests.connectors.gusto.conftest import sample_company
from tests.mapping.helpers import post

MAPPING = """
account_aliases:
  "Wages: Engineering": "6011"
  "Employer taxes: Engineering": "6021"
  "Federal Income Tax": "2310"
  "401(k)": "2320"
"""


def documents(period=(dt.date(2026, 3, 1), dt.date(2026, 3, 15)), check=dt.date(2026, 3, 20)):
    company = sample_company()
    payroll = company.run_payroll(*period, check)
    employees = [e.wire(None) for e in company.employees.values()]
    return payroll, payroll_documents(bundle(payroll, employees, []), "gusto")


def add_accounts(ledger):
    ledger.add_accounts([
        Account("6011", "Engineering Wages", AccountType.EXPENSE, "payroll", "6000"),
        Account("6021", "Engineering Payroll Taxes", AccountType.EXPENSE, "payroll", "6000"),
        Account("2310", "Federal Withholding", AccountType.LIABILITY, "payroll", "2000"),
        Account("2320", "401(k) Payable", AccountType.LIABILITY, "payroll", "2000"),
    ])


def by_memo(lines) -> dict[str, tuple[str, int, str | None]]:
    return {memo: (account, amount, party) for account, amount, party, memo in lines}


def posted(ledger, rules, data):
    entry, _ = post(ledger, rules, data.model_dump(mode="json"))
    return entry, [(ln.account, ln.amount.minor, ln.party, ln.memo) for ln in entry.lines]


def test_run_books_departments_taxes_benefits_and_net_pay_owed_to_gusto(ledger):
    add_accounts(ledger)
    payroll, (run, _) = documents()
    entry, lines = posted(ledger, load_rules(MAPPING), run)
    memos = by_memo(lines)
    assert entry.date == dt.date(2026, 3, 20)
    assert memos["Wages, Engineering"] == ("6011", 1000000, None)
    assert memos["Wages, Sales"] == ("6010", 390000, None)
    assert memos["Employer taxes, Engineering"][0] == "6021"
    assert memos["Federal Income Tax"] == ("2310", -166800, None)  # 12 % of 13,900.00
    assert memos["Social Security"][1] == -2 * 86180  # 6.2 % withheld and 6.2 % owed
    assert memos["401(k)"] == ("2320", -(26000 + 15600 + 15600 + 11700), "401(k)")
    assert memos["Medical Insurance"] == ("2300", -42000, "Medical Insurance")
    ref = run.reference
    assert memos[f"Net pay {ref}"] == ("2300", -int(payroll["totals"]["net_pay"]
                                                    .replace(".", "")), "Gusto")
    assert sum(amount for _, amount, _, _ in lines) == 0


def test_tax_debit_clears_each_tax_where_it_was_owed(ledger):
    add_accounts(ledger)
    rules = load_rules(MAPPING)
    payroll, (run, taxes) = documents()
    _, run_lines = posted(ledger, rules, run)
    entry, lines = posted(ledger, rules, taxes)
    assert entry.date == dt.date(2026, 3, 18)
    owed = {memo: amount for _, amount, _, memo in run_lines}
    paid = {memo: amount for _, amount, _, memo in lines if not memo.startswith("Paid")}
    assert paid == {name: -owed[name] for name in paid}
    assert by_memo(lines)[f"Paid to Gusto TAX {run.reference}"][:2] == (
        "1010", -int(payroll["totals"]["tax_debit"].replace(".", "")))


def test_accrual_moves_expense_to_accrued_payroll_with_the_run_accounts(ledger):
    add_accounts(ledger)
    _, (run, _, accrual, reversal) = documents((dt.date(2026, 3, 25), dt.date(2026, 4, 7)),
                                               dt.date(2026, 4, 10))
    entry, lines = posted(ledger, load_rules(MAPPING), accrual)
    assert entry.date == dt.date(2026, 3, 31)
    memos = by_memo(lines)
    assert memos["Wages, Engineering"] == ("6011", 500000, None)  # 7 of 14 days
    accrued = [amount for account, amount, _, _ in lines if account == "2350"]
    assert accrued == [-sum(a for acc, a, _, _ in lines if acc != "2350")]
    _, back = posted(ledger, load_rules(MAPPING), reversal)
    assert sorted(a for _, a, _, _ in back) == sorted(-a for _, a, _, _ in lines)


def test_a_run_paid_directly_credits_the_bank(ledger):
    _, (run, _) = documents()
    direct = run.model_copy(update={"processor": None})
    _, lines = posted(ledger, load_rules(None), direct)
    assert by_memo(lines)["Net pay"] == ("1010", -run.net.minor, None)
