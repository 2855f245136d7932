"""Ramp objects become Expenses and Payments with exact amounts and the right hints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors import exact_json
from ledgerbridge.connectors.ramp.amounts import AmountError, money
from ledgerbridge.connectors.ramp.mcc import category
from ledgerbridge.connectors.ramp.normalize import Normalizer
from ledgerbridge.money import Money
from ledgerbridge.sync.errors import FatalError

TRANSACTION = """{"id": "t-1", "amount": 48.10, "currency_code": "USD", "merchant_id": "m-9",
 "merchant_name": "Blue Bottle Coffee", "merchant_descriptor": "BLUE BOTTLE #12",
 "merchant_category_code": "5814", "user_transaction_time": "2026-03-02T18:04:00+00:00",
 "card_holder": {"user_id": "u-1", "first_name": "Ada", "last_name": "Byron"},
 "receipts": [], "memo": "Team coffee", "state": "CLEARED", "accounting_categories": []}"""


def _transaction(**changes):
    return exact_json.loads(TRANSACTION) | changes


def test_a_cleared_card_transaction_is_an_expense_on_the_company_card():
    (expense,) = Normalizer("ramp").documents("transaction", _transaction())
    assert expense.payment_method == "card" and not expense.reimbursable
    assert expense.total == Money(4810, "USD")
    assert expense.date.isoformat() == "2026-03-02"
    assert expense.vendor.name == "Blue Bottle Coffee"
    assert expense.employee.name == "Ada Byron"
    assert expense.lines[0].account == "Meals"
    assert expense.lines[0].description == "BLUE BOTTLE #12 (MCC 5814)"
    assert expense.receipt is None


def test_a_gl_account_chosen_in_ramp_wins_over_the_merchant_category():
    chosen = [{"tracking_category_remote_type": "GL_ACCOUNT", "category_name": "Software"}]
    (expense,) = Normalizer("ramp").documents(
        "transaction", _transaction(accounting_categories=chosen, receipts=["r-7"]))
    assert expense.lines[0].account == "Software"
    assert expense.receipt == "ramp:receipt:r-7"


@pytest.mark.parametrize("state", ["PENDING", "DECLINED", "ERROR"])
def test_transactions_that_moved_no_money_post_nothing(state):
    assert Normalizer("ramp").documents("transaction", _transaction(state=state)) == []


def test_a_paid_reimbursement_is_the_expense_and_the_payment_to_the_employee():
    claim = exact_json.loads(
        '{"id": "re-1", "amount": 25.5, "currency": "USD", "merchant": "Taxi Co",'
        ' "user_id": "u-2", "user_full_name": "Grace Hopper", "transaction_date": "2026-03-01",'
        ' "receipts": ["r-1"], "state": "REIMBURSED",'
        ' "payment_processed_at": "2026-03-09T10:00:00Z"}')
    expense, payment = Normalizer("ramp").documents("reimbursement", claim)
    assert expense.reimbursable and expense.employee.name == "Grace Hopper"
    assert expense.total == Money(2550, "USD") and expense.receipt == "ramp:receipt:r-1"
    assert payment.direction == "sent" and payment.amount == Money(2550, "USD")
    assert payment.source.object_type == "reimbursement_payment"
    assert payment.date.isoformat() == "2026-03-09"
    unpaid = Normalizer("ramp").documents("reimbursement", claim | {"state": "APPROVED"})
    assert [d.type for d in unpaid] == ["expense"]
    for state in ("PENDING", "REJECTED"):
        assert Normalizer("ramp").documents("reimbursement", claim | {"state": state}) == []


def test_a_bad_amount_names_the_record_and_the_reason():
    with pytest.raises(FatalError, match=r"transaction t-1: amount 'ten'"):
        Normalizer("ramp").documents("transaction", _transaction(amount="ten"))
    with pytest.raises(FatalError, match=r"t-1: .*more decimals|t-1: .*decimal"):
        Normalizer("ramp").documents("transaction", _transaction(amount=Decimal("1.234")))


def test_both_of_ramps_amount_forms_read_exactly():
    assert money({"amount": 4000, "currency_code": "USD"}) == Money(4000, "USD")
    assert money({"amount": 5000, "currency_code": "JPY"}) == Money(5000, "JPY")
    assert money(Decimal("40.00"), "USD") == Money(4000, "USD")
    with pytest.raises(AmountError, match="not a decimal number"):
        money(40.1, "USD")
    with pytest.raises(AmountError, match="integer amount in minor units"):
        money({"amount": Decimal("40.5"), "currency_code": "USD"})


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_a_legacy_json_amount_is_read_to_the_cent(cents):
    text = f'{{"amount": {Decimal(cents).scaleb(-2)}}}'
    assert money(exact_json.loads(text)["amount"], "USD").minor == cents


def test_merchant_categories_group_into_chart_categories():
    assert category("5812") == "Meals"
    assert category(3001) == "Travel"
    assert category("7372") == "Software"
    assert category("5999") is None and category(None) is None and category("x") is None
