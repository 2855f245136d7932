"""Amounts: exact decimal strings in JSON, Money in Python, floats refused."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ledgerbridge.documents import (
    BankTransaction,
    Fee,
    Invoice,
    Item,
    Line,
    Ref,
    Source,
    TaxRate,
)
from ledgerbridge.money import Money, currency_exponent, format_minor

from .samples import source

# JPY and KRW have no minor unit, USD and EUR two decimals, KWD and BHD three.
CURRENCIES = ["JPY", "KRW", "USD", "EUR", "KWD", "BHD"]


def bank_line(amount: object, currency: str = "USD", **extra: object) -> dict[str, object]:
    return {
        "type": "bank_transaction",
        "source": source("line", "1"),
        "account": "1010",
        "booking_date": "2024-01-02",
        "amount": amount,
        "currency": currency,
        **extra,
    }


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {".".join(map(str, e["loc"])): e["msg"] for e in exc.value.errors()}


def test_exponents_used_by_the_tests() -> None:
    assert [currency_exponent(c) for c in CURRENCIES] == [0, 0, 2, 2, 3, 3]


@given(currency=st.sampled_from(CURRENCIES), minor=st.integers(-(10**15), 10**15))
def test_amount_text_round_trips_exactly(currency: str, minor: int) -> None:
    text = format_minor(minor, currency)
    model = BankTransaction.model_validate(bank_line(text, currency))
    assert model.amount == Money(minor, currency)
    dumped = json.loads(model.model_dump_json())
    assert dumped["amount"] == text
    again = BankTransaction.model_validate_json(model.model_dump_json())
    assert again == model
    assert again.model_dump_json() == model.model_dump_json()


@given(currency=st.sampled_from(CURRENCIES), minor=st.integers(-(10**12), 10**12))
def test_python_round_trip_from_money(currency: str, minor: int) -> None:
    model = BankTransaction.model_validate(bank_line(Money(minor, currency), currency))
    assert model.amount == Money(minor, currency)
    # A dict dump carries the same amount text as JSON (Money is not a JSON value).
    assert model.model_dump()["amount"] == format_minor(minor, currency)
    assert BankTransaction.model_validate(model.model_dump()) == model


@given(currency=st.sampled_from(CURRENCIES), whole=st.integers(-(10**9), 10**9))
def test_json_integer_is_whole_major_units(currency: str, whole: int) -> None:
    model = BankTransaction.model_validate_json(json.dumps(bank_line(whole, currency)))
    assert model.amount.decimal == Decimal(whole)
    assert json.loads(model.model_dump_json())["amount"] == format_minor(
        whole * 10 ** currency_exponent(currency), currency
    )


@given(
    currency=st.sampled_from(CURRENCIES),
    minor=st.integers(-(10**9), 10**9),
    extra_digit=st.integers(1, 9),
)
def test_more_decimals_than_the_currency_allows_are_refused(
    currency: str, minor: int, extra_digit: int
) -> None:
    text = format_minor(minor, currency)
    text = f"{text}{extra_digit}" if "." in text else f"{text}.{extra_digit}"
    with pytest.raises(ValidationError) as exc:
        BankTransaction.model_validate_json(json.dumps(bank_line(text, currency)))
    assert "more decimals than" in errors_of(exc)["amount"]


def test_json_float_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as exc:
        BankTransaction.model_validate_json(
            '{"type": "bank_transaction", "source": {"connection": "c", "object_type": "o",'
            ' "external_id": "1"}, "account": "1010", "booking_date": "2024-01-02",'
            ' "amount": 12.3, "currency": "USD"}'
        )
    message = errors_of(exc)["amount"]
    assert "12.3" in message and "decimal string" in message


def test_python_float_and_bool_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        BankTransaction.model_validate(bank_line(0.1))
    assert "float" in errors_of(exc)["amount"] or "fraction" in errors_of(exc)["amount"]
    with pytest.raises(ValidationError) as exc:
        BankTransaction.model_validate(bank_line(True))
    assert "boolean" in errors_of(exc)["amount"]


@pytest.mark.parametrize("text", ["12,30", "1e3", "abc", "", "NaN", "Infinity"])
def test_malformed_amount_text_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as exc:
        BankTransaction.model_validate(bank_line(text))
    assert "amount" in errors_of(exc)


@pytest.mark.parametrize("currency", ["XYZ", "usd", "XAU", "EURO"])
def test_unknown_currency_is_refused_once(currency: str) -> None:
    with pytest.raises(ValidationError) as exc:
        BankTransaction.model_validate(bank_line("1.00", currency, balance="2.00"))
    assert list(errors_of(exc)) == ["currency"]


def test_money_in_another_currency_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        BankTransaction.model_validate(bank_line(Money(100, "EUR"), "USD"))
    assert errors_of(exc)["amount"] == "amount is in EUR but the currency is USD"


def test_prebuilt_nested_model_in_another_currency_is_refused() -> None:
    line = Line(description="Consulting", unit_price=Money(500, "EUR"))
    with pytest.raises(ValidationError) as exc:
        Invoice(
            source=Source(connection="c", object_type="invoice", external_id="1"),
            customer=Ref(id="c1"),
            issue_date=dt.date(2024, 1, 1),
            currency="USD",
            lines=(line,),
        )
    assert errors_of(exc)["lines.0.unit_price"] == "amount is in EUR but the currency is USD"


def test_amount_without_a_currency_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        Item.model_validate({"source": source("product", "p"), "name": "Widget", "unit_price": "1"})
    assert "no currency" in errors_of(exc)["unit_price"]
    with pytest.raises(ValidationError) as exc:
        Item(
            source=Source(connection="c", object_type="p", external_id="1"),
            name="W",
            unit_price=Money(100, "USD"),
        )
    assert errors_of(exc)["unit_price"] == "amount is in USD but `currency` is not set"


def test_fee_in_zero_decimal_currency() -> None:
    fee = Fee.model_validate(
        {
            "source": source("fee", "1"),
            "kind": "other",
            "date": "2024-01-01",
            "amount": "500",
            "currency": "JPY",
        }
    )
    assert fee.amount == Money(500, "JPY")
    with pytest.raises(ValidationError) as exc:
        Fee.model_validate(
            {
                "source": source("fee", "1"),
                "kind": "other",
                "date": "2024-01-01",
                "amount": "500.5",
                "currency": "JPY",
            }
        )
    assert "more decimals than JPY allows (0)" in errors_of(exc)["amount"]


@given(
    percent=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False),
)
def test_percent_round_trips_as_a_string(percent: Decimal) -> None:
    rate = TaxRate(
        source=Source(connection="c", object_type="t", external_id="1"),
        name="VAT",
        tax_code="V",
        jurisdiction="GB",
        percent=percent,
    )
    dumped = json.loads(rate.model_dump_json())
    assert isinstance(dumped["percent"], str)
    assert TaxRate.model_validate_json(rate.model_dump_json()) == rate


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("percent", '{"jurisdiction": "GB", "percent": 20.5, "amount": "1.00"}'),
        ("quantity", None),
    ],
)
def test_float_rates_and_quantities_are_refused(field: str, payload: str | None) -> None:
    lines = (
        '[{"quantity": 1.5, "unit_price": "2.00"}]'
        if payload is None
        else f'[{{"unit_price": "2.00", "tax_lines": [{payload}]}}]'
    )
    text = (
        '{"source": {"connection": "c", "object_type": "i", "external_id": "1"},'
        ' "customer": {"id": "c"}, "issue_date": "2024-01-01", "currency": "USD",'
        f' "lines": {lines}}}'
    )
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate_json(text)
    ((loc, message),) = errors_of(exc).items()
    assert loc.endswith(field)
    assert "decimal string" in message
