"""Bank rules with a tax code book the line split into net and tax."""

import pytest
from sqlalchemy import select

from ledgerbridge.ledger import LedgerError
from ledgerbridge.reconcile import run
from ledgerbridge.reconcile.rules import BankRule, load_bank_rules
from ledgerbridge.store.tables import accounts, journal_lines
from tests.reconcile.test_reconcile import balance, bank, line_status

RULES = """
bank_rules:
  - when: {counterparty_contains: OFFICE WORLD}
    account: "6300"
    tax_code: GB-20
  - when: {counterparty_contains: INSURER}
    account: "6500"
    tax_code: EXEMPT
  - when: {counterparty_contains: HOTEL}
    account: "6350"
    tax_code: HOTEL-VAT
    tax_percent: "10"
    tax_account: "2200"
"""


def coded(ledger):
    """(account, amount, tax code) of every posted line, in order."""
    with ledger.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            accounts.c.code, journal_lines.c.amount, journal_lines.c.tax_code).join(
            accounts, accounts.c.id == journal_lines.c.account_id).order_by(
            journal_lines.c.id))]


def test_a_rule_with_a_tax_code_books_net_and_tax_both_coded(ledger):
    line = bank(ledger, "-120.00", "CARD 4411", "OFFICE WORLD LTD")
    result = run(ledger, rules=load_bank_rules(RULES))
    assert result.by_rule == 1 and line_status(ledger, line) == "reconciled"
    assert coded(ledger) == [("1010", -12000, None), ("6300", 10000, "GB-20"),
                             ("2200", 2000, "GB-20")]


def test_an_exempt_code_books_the_gross_with_the_code_and_no_tax_line(ledger):
    bank(ledger, "-99.99", "PREMIUM", "INSURER PLC")
    run(ledger, rules=load_bank_rules(RULES))
    assert coded(ledger) == [("1010", -9999, None), ("6500", 9999, "EXEMPT")]


def test_an_explicit_percent_and_tax_account_win_and_the_tax_rounds_half_even(ledger):
    bank(ledger, "-0.55", "ROOM", "HOTEL ABC")  # 55 * 10 / 110 = 5 exactly
    bank(ledger, "-1.21", "ROOM", "HOTEL ABC")  # 121 / 11 = 11 exactly
    bank(ledger, "-0.33", "ROOM", "HOTEL ABC")  # 3.0: 3; net 30
    run(ledger, rules=load_bank_rules(RULES))
    assert balance(ledger, "6350") + balance(ledger, "2200") == 55 + 121 + 33
    assert balance(ledger, "2200") == 5 + 11 + 3


def test_a_code_without_a_rate_is_refused_naming_the_rule(ledger):
    bank(ledger, "-10.00", "X", "ACME")
    rule = BankRule(name="acme", account="6300", tax_code="INPUT2")
    with pytest.raises(LedgerError, match="bank rule acme: tax code 'INPUT2' states no rate"):
        run(ledger, rules=[rule])


def test_tax_fields_without_a_code_are_refused():
    with pytest.raises(LedgerError, match="tax_percent and tax_account need a tax_code"):
        load_bank_rules('bank_rules:\n  - {account: "6300", tax_percent: "20"}\n')
    with pytest.raises(LedgerError, match="float"):
        load_bank_rules('bank_rules:\n  - {account: "6300", tax_code: X, tax_percent: 20.5}\n')


def test_the_catalog_rate_of_a_code_is_used(ledger):
    from tests.ledger.test_tax_codes import store_tax_rate

    store_tax_rate(ledger, "STD", "GB", "20")
    bank(ledger, "-60.00", "CARD", "OFFICE WORLD")
    run(ledger, rules=[BankRule(account="6300", tax_code="STD")])
    assert coded(ledger)[1:] == [("6300", 5000, "STD"), ("2200", 1000, "STD")]
