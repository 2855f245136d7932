"""Itemized documents: totals must agree with the lines to the minor unit, or are computed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ledgerbridge.documents import Bill, CreditNote, Invoice, Order, PayrollRun
from ledgerbridge.money import Money, format_minor

from . import samples


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {".".join(map(str, e["loc"])): e["msg"] for e in exc.value.errors()}


def without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in names}


def test_sample_invoice_totals_agree() -> None:
    invoice = Invoice.model_validate(samples.invoice())
    widget, setup = invoice.lines
    assert widget.amount == Money(2997, "USD")
    assert widget.discount is not None and widget.discount.amount == Money(300, "USD")
    assert widget.net_amount == Money(2697, "USD")
    assert widget.tax_amount == Money(233, "USD")
    assert setup.amount == Money(5000, "USD") and setup.quantity == Decimal(1)
    assert invoice.total == Money(7930, "USD")
    assert invoice.due_date == dt.date(2024, 5, 31)


def test_totals_are_computed_when_absent() -> None:
    data = without(samples.invoice(), "subtotal", "discount_total", "tax_total", "total")
    invoice = Invoice.model_validate(data)
    assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (
        Money(7997, "USD"),
        Money(300, "USD"),
        Money(233, "USD"),
        Money(7930, "USD"),
    )
    assert {"subtotal", "total"} <= invoice.model_fields_set
    assert Invoice.model_validate_json(invoice.model_dump_json()) == invoice


@pytest.mark.parametrize(
    ("field", "given", "expected"),
    [
        (
            "total",
            "79.31",
            "total is 79.31 but the lines add up to subtotal 79.97 - discounts "
            "3.00 + tax 2.33 = 79.30",
        ),
        ("subtotal", "80.00", "subtotal is 80.00 but the line amounts add up to 79.97"),
        ("discount_total", "2.99", "discount_total is 2.99 but the line discounts add up to 3.00"),
        ("tax_total", "2.34", "tax_total is 2.34 but the tax lines add up to 2.33"),
    ],
)
def test_totals_that_do_not_add_up_are_refused(field: str, given: str, expected: str) -> None:
    data = samples.invoice() | {field: given}
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(data)
    assert errors_of(exc) == {field: expected}


def test_line_amount_must_match_quantity_times_price() -> None:
    data = samples.invoice()
    data["lines"][0]["amount"] = "29.98"
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(data)
    assert errors_of(exc) == {
        "lines.0.amount": "amount 29.98 is not quantity 3 x unit_price 9.99 = 29.97"
    }


@given(
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3),
    price_minor=st.integers(0, 10**7),
)
def test_line_amount_accepts_either_rounding_of_a_fractional_product(
    quantity: Decimal, price_minor: int
) -> None:
    price = Money(price_minor, "USD")
    exact = quantity * price.decimal
    down = int((exact * 100).to_integral_value(rounding="ROUND_FLOOR"))
    up = int((exact * 100).to_integral_value(rounding="ROUND_CEILING"))
    base = samples.invoice()
    base = without(base, "subtotal", "discount_total", "tax_total", "total")
    for minor in {down, up}:
        line = {
            "quantity": str(quantity),
            "unit_price": price.text(),
            "amount": format_minor(minor, "USD"),
        }
        invoice = Invoice.model_validate(base | {"lines": [line]})
        assert invoice.total == Money(minor, "USD")
    line = {
        "quantity": str(quantity),
        "unit_price": price.text(),
        "amount": format_minor(up + 1, "USD"),
    }
    with pytest.raises(ValidationError):
        Invoice.model_validate(base | {"lines": [line]})


def test_discount_amount_must_agree_with_its_percent() -> None:
    data = samples.invoice()
    data["lines"][0]["discount"] = {"percent": "10", "amount": "3.10"}
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(data)
    assert errors_of(exc) == {
        "lines.0.discount.amount": "discount amount 3.10 is not 10 % of 29.97 = 2.997"
    }


def test_line_and_discount_need_a_value() -> None:
    data = samples.invoice()
    data["lines"][1] = {"description": "nothing"}
    data["lines"][0]["discount"] = {"reason": "loyalty"}
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(data)
    assert errors_of(exc) == {
        "lines.0.discount": "a discount needs `amount` or `percent`",
        "lines.1": "a line needs `amount` or `unit_price`",
    }


def test_no_lines_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(samples.invoice() | {"lines": []})
    assert errors_of(exc) == {"lines": "at least one is needed"}


def test_tax_inclusive_amounts_do_not_add_tax_again() -> None:
    note = CreditNote.model_validate(samples.credit_note())
    assert note.subtotal == Money(1190, "EUR")
    assert note.tax_total == Money(190, "EUR")
    assert note.total == Money(1190, "EUR")
    with pytest.raises(ValidationError) as exc:
        CreditNote.model_validate(samples.credit_note() | {"total": "13.80"})
    assert errors_of(exc) == {
        "total": "total is 13.80 but the lines add up to subtotal 11.90 - discounts 0.00 "
        "(tax 1.90 included) = 11.90"
    }


def test_document_level_tax_lines_count_once() -> None:
    bill = Bill.model_validate(samples.bill())
    assert bill.tax_total == Money(20000, "GBP")
    assert bill.total == Money(120000, "GBP")


def test_due_date_is_computed_from_terms_and_checked() -> None:
    data = without(samples.invoice(), "payment_terms") | {"due_date": "2024-04-30"}
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(data)
    assert errors_of(exc) == {"due_date": "due_date 2024-04-30 is before issue_date 2024-05-01"}
    undated = Invoice.model_validate(without(samples.invoice(), "payment_terms"))
    assert undated.due_date is None


def test_order_adds_shipping_and_its_tax() -> None:
    order = Order.model_validate(samples.order())
    assert order.shipping_total == Money(400, "USD")
    assert order.tax_total == Money(356, "USD")
    assert order.total == Money(4356, "USD")
    assert order.presentment is not None and order.presentment.total == Money(5968, "CAD")
    computed = Order.model_validate(
        without(samples.order(), "shipping_total", "tax_total", "total")
    )
    assert computed == order
    with pytest.raises(ValidationError) as exc:
        Order.model_validate(samples.order() | {"shipping_total": "5.00"})
    assert errors_of(exc) == {
        "shipping_total": "shipping_total is 5.00 but the shipping lines add up to 4.00"
    }


def test_order_presentment_amounts_use_the_presentment_currency() -> None:
    data = samples.order()
    data["presentment"] = {"currency": "JPY", "total": "6500.5"}
    with pytest.raises(ValidationError) as exc:
        Order.model_validate(data)
    assert errors_of(exc) == {
        "presentment.total": "amount '6500.5' has more decimals than JPY allows (0)"
    }


def test_order_gift_cards_cannot_exceed_the_total() -> None:
    data = samples.order() | {"gift_cards": [{"amount": "50.00"}]}
    with pytest.raises(ValidationError) as exc:
        Order.model_validate(data)
    assert errors_of(exc) == {
        "gift_cards": "gift_cards add up to 50.00, more than the order total 43.56"
    }


def test_payroll_totals_add_up() -> None:
    run = PayrollRun.model_validate(samples.payroll_run())
    assert run.gross == Money(500000, "GBP")
    assert run.employer_taxes == Money(50000, "GBP")
    assert run.net == Money(395000, "GBP")
    with pytest.raises(ValidationError) as exc:
        PayrollRun.model_validate(samples.payroll_run() | {"gross": "5000.01"})
    assert errors_of(exc) == {
        "gross": "gross is 5000.01 but the employees' gross add up to 5000.00"
    }
    data = samples.payroll_run()
    data["employees"][1]["net"] = "1699.99"
    with pytest.raises(ValidationError) as exc:
        PayrollRun.model_validate(data)
    assert errors_of(exc) == {
        "employees.1.net": "net is 1699.99 but gross 2000.00 - employee_taxes 300.00 - "
        "deductions 0.00 = 1700.00"
    }
