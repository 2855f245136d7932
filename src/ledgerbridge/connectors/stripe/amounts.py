"""Stripe's integer amounts and exchange rates, read exactly.

Stripe counts amounts in the smallest unit *as Stripe defines it*: no decimals for
its zero-decimal currencies (JPY, KRW ...), three for BHD, JOD, KWD, OMR and TND, two
for every other currency, even where ISO 4217 says otherwise (Stripe's ISK and UGX
amounts carry two decimals that must be zero). Money holds ISO minor units, so an
amount is rescaled on the way in and refused if the rescaling would lose a digit.
"""

from __future__ import annotations

from ledgerbridge.money import Money, MoneyError, currency_exponent

__all__ = ["from_money", "stripe_exponent", "to_money"]

ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
                          "VND", "VUV", "XAF", "XOF", "XPF"})
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts carry in ``currency`` (upper case)."""
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def _rescale(minor: int, shift: int, code: str) -> int:
    if shift >= 0:
        return minor * 10**shift
    whole, rest = divmod(minor, 10**-shift)
    if rest:
        raise MoneyError(f"{minor} is not a whole number of {code} minor units")
    return whole


def to_money(amount: int, currency: str) -> Money:
    """A Stripe integer amount in a Stripe currency code ("usd") as exact Money."""
    code = currency.upper()
    return Money(_rescale(amount, currency_exponent(code) - stripe_exponent(code), code), code)


def from_money(money: Money) -> int:
    """Money as the integer amount Stripe would send for it."""
    code = money.currency
    return _rescale(money.minor, stripe_exponent(code) - currency_exponent(code), code)
