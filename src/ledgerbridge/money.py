"""Exact money: integer minor units plus an ISO 4217 currency code.

Amounts never pass through ``float``. Text such as ``"0.1"`` is parsed with
:class:`decimal.Decimal` and refused if it has more decimals than the currency's
ISO 4217 minor unit allows (JPY 0, USD 2, KWD 3). Exchange rates are ``Decimal``.

Minor units come from the ISO 4217 maintenance agency's own table (the ``iso4217``
package). Currencies withdrawn from that table (HRK, SLL ...) still appear on old
statements; for those we fall back to babel's CLDR data. CLDR is not used first
because its digits are display conventions that differ from ISO for some live
currencies (CLDR: ALL 0, IQD 0; ISO 4217: ALL 2, IQD 3), and a bank statement in
IQD carries three decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache

import iso4217
from babel.numbers import get_currency_precision, list_currencies

__all__ = [
    "Currency",
    "Money",
    "MoneyError",
    "convert",
    "currency_exponent",
    "format_minor",
    "is_currency",
    "iso_currencies",
    "known_currencies",
    "parse_minor",
    "parse_rate",
]

Currency = str
"""An ISO 4217 alphabetic code such as ``"USD"``."""

_CODE = re.compile(r"^[A-Z]{3}$")
_AMOUNT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class MoneyError(ValueError):
    """An amount, currency or rate that cannot be represented exactly."""


@cache
def _iso_exponents() -> dict[str, int]:
    return {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}


@cache
def _cldr_codes() -> frozenset[str]:
    # ISO codes without a minor unit (gold, SDR, "no currency") stay refused.
    no_minor = {c.code for c in iso4217.Currency if c.exponent is None}
    return frozenset(list_currencies()) - no_minor


@cache
def iso_currencies() -> frozenset[str]:
    """The codes ISO 4217 lists today (withdrawn ones are not among them)."""
    return frozenset(c.code for c in iso4217.Currency)


def is_currency(code: str) -> bool:
    """Tell whether ``code`` is a currency with a defined minor unit."""
    return isinstance(code, str) and (code in _iso_exponents() or code in _cldr_codes())


def known_currencies() -> list[Currency]:
    """Every currency code with a defined minor unit, sorted."""
    return sorted(set(_iso_exponents()) | _cldr_codes())


@cache
def currency_exponent(code: Currency) -> int:
    """Number of decimals of ``code``'s minor unit (USD 2, JPY 0, KWD 3).

    Raises MoneyError for an unknown code, or one with no minor unit (XAU, XXX).
    """
    if not isinstance(code, str) or not _CODE.match(code):
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code (three capital letters)")
    iso = _iso_exponents()
    if code in iso:
        return iso[code]
    if code in _cldr_codes():
        return get_currency_precision(code)
    raise MoneyError(f"unknown currency {code!r}: not in ISO 4217 (or it has no minor unit)")


def parse_minor(text: str | int | Decimal, currency: Currency) -> int:
    """Parse a decimal amount (``"12.30"``, ``"-0.1"``) into integer minor units.

    Refuses floats, malformed text and more decimals than the currency allows.
    """
    exp = currency_exponent(currency)
    if isinstance(text, bool) or isinstance(text, float):
        raise MoneyError(f"amount {text!r} is a float; give it as text such as \"12.30\"")
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    elif isinstance(text, str):
        cleaned = text.strip()
        if not _AMOUNT.match(cleaned):
            raise MoneyError(f"amount {text!r} is not a decimal number")
        value = Decimal(cleaned)
    else:
        raise MoneyError(f"amount {text!r} has unsupported type {type(text).__name__}")
    if not value.is_finite():
        raise MoneyError(f"amount {text!r} is not finite")
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise MoneyError(
            f"amount {text!r} has more decimals than {currency} allows ({exp})"
        )
    return int(scaled)


def format_minor(minor: int, currency: Currency) -> str:
    """Render integer minor units as plain decimal text (``1230, "USD"`` -> ``"12.30"``)."""
    exp = currency_exponent(currency)
    if exp == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


def parse_rate(text: str | int | Decimal) -> Decimal:
    """Parse an exchange rate exactly; it must be a positive finite decimal."""
    if isinstance(text, bool) or isinstance(text, float):
        raise MoneyError(f"rate {text!r} is a float; give it as text such as \"1.0857\"")
    try:
        rate = Decimal(text.strip() if isinstance(text, str) else text)
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError(f"rate {text!r} is not a decimal number") from None
    if not rate.is_finite() or rate <= 0:
        raise MoneyError(f"rate {text!r} must be a positive number")
    return rate


def convert(minor: int, source: Currency, rate: Decimal, target: Currency) -> int:
    """Convert minor units of ``source`` to ``target`` at ``rate`` (target per source).

    The result is rounded half-even to the target's minor unit.
    """
    major = Decimal(minor).scaleb(-currency_exponent(source)) * rate
    return int(major.scaleb(currency_exponent(target)).quantize(Decimal(1), ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An exact amount: integer minor units of one currency."""

    minor: int
    currency: Currency

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise MoneyError(f"Money needs integer minor units, got {self.minor!r}")
        currency_exponent(self.currency)

    @classmethod
    def parse(cls, text: str | int | Decimal, currency: Currency) -> Money:
        """Build Money from decimal text such as ``"12.30"``."""
        return cls(parse_minor(text, currency), currency)

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        """Zero in ``currency``."""
        return cls(0, currency)

    @property
    def decimal(self) -> Decimal:
        """The amount as an exact Decimal in major units."""
        return Decimal(self.minor).scaleb(-currency_exponent(self.currency))

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")
        return other

    def text(self) -> str:
        """Plain decimal text without the currency code."""
        return format_minor(self.minor, self.currency)
