from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.money import (
    Money,
    MoneyError,
    convert,
    currency_exponent,
    format_minor,
    known_currencies,
    parse_minor,
    parse_rate,
)


def test_iso_exponents():
    assert [currency_exponent(c) for c in ("JPY", "USD", "KWD", "CLF")] == [0, 2, 3, 4]
    # ISO 4217 minor units, not CLDR display digits
    assert currency_exponent("IQD") == 3
    assert currency_exponent("ALL") == 2
    # withdrawn currencies still read from old statements
    assert currency_exponent("HRK") == 2


def test_decimal_text_is_exact():
    assert parse_minor("0.1", "USD") == 10
    assert parse_minor("0.10", "USD") == 10
    assert parse_minor("-1234.5", "EUR") == -123450
    assert parse_minor("1000", "JPY") == 1000
    assert parse_minor("1.234", "KWD") == 1234
    assert parse_minor(" 7 ", "USD") == 700
    assert Money.parse("0.1", "USD") + Money.parse("0.2", "USD") == Money.parse("0.3", "USD")


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("0.001", "USD", "more decimals than USD allows (2)"),
        ("1.5", "JPY", "more decimals than JPY allows (0)"),
        ("1.2345", "KWD", "more decimals than KWD allows (3)"),
        ("abc", "USD", "not a decimal number"),
        ("1e3", "USD", "not a decimal number"),
        ("NaN", "USD", "not a decimal number"),
        ("", "USD", "not a decimal number"),
        ("1.00", "ZZZ", "unknown currency 'ZZZ'"),
        ("1.00", "usd", "not an ISO 4217 currency code"),
        ("1.00", "XAU", "unknown currency 'XAU'"),
    ],
)
def test_refusals_name_the_reason(text, currency, message):
    with pytest.raises(MoneyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_minor(text, currency)


def test_floats_are_refused():
    with pytest.raises(MoneyError, match="float"):
        parse_minor(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="float"):
        parse_rate(1.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1.0, "USD")  # type: ignore[arg-type]


def test_mixing_currencies_is_an_error():
    with pytest.raises(MoneyError, match="cannot combine USD and EUR"):
        Money(1, "USD") + Money(1, "EUR")


def test_convert_rounds_half_even_to_target_exponent():
    assert convert(10000, "EUR", Decimal("1.0857"), "USD") == 10857
    assert convert(1000, "JPY", Decimal("0.0067"), "USD") == 670
    assert convert(5, "USD", Decimal("0.5"), "USD") == 2  # 2.5 -> 2
    assert convert(1234, "KWD", Decimal("3.25"), "USD") == 401  # 4.0105 -> 4.01


@given(st.sampled_from(known_currencies()), st.integers(min_value=-(10**15), max_value=10**15))
def test_text_round_trip_every_currency(currency, minor):
    text = format_minor(minor, currency)
    assert parse_minor(text, currency) == minor
    assert Money.parse(text, currency).text() == text


@given(st.sampled_from(known_currencies()), st.decimals(allow_nan=False, allow_infinity=False,
                                                       places=4, min_value=-10**9,
                                                       max_value=10**9))
def test_parse_accepts_exactly_the_representable(currency, value):
    exp = currency_exponent(currency)
    representable = value == value.quantize(Decimal(1).scaleb(-exp))
    if representable:
        assert Decimal(parse_minor(str(value), currency)).scaleb(-exp) == value
    else:
        with pytest.raises(MoneyError):
            parse_minor(str(value), currency)
