"""Ramp's two ways of writing money, read exactly into integer minor units.

Ramp's conventions page describes a *canonical* form, an object
``{"amount": 4000, "currency_code": "USD"}`` whose amount is an integer in the
currency's smallest unit, and a deprecated *legacy* form, a decimal JSON number in
major units next to a separate currency field (``"amount": 40.00``), which the
transactions and reimbursements lists still use. Bodies are parsed with
``exact_json.loads``, so a legacy amount arrives here as a Decimal, never a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerbridge.money import Money, MoneyError, parse_minor

__all__ = ["AmountError", "money"]


class AmountError(ValueError):
    """An amount that is neither form, or does not fit its currency."""


def money(value: Any, currency: str | None = None) -> Money:
    """A canonical ``{amount, currency_code}`` object, or a legacy number in ``currency``."""
    if isinstance(value, dict):
        minor, code = value.get("amount"), value.get("currency_code")
        if isinstance(minor, bool) or not isinstance(minor, int) or not isinstance(code, str):
            raise AmountError(f"canonical amount {value!r} needs an integer amount in minor "
                              "units and a currency_code")
        try:
            return Money(minor, code)
        except MoneyError as exc:
            raise AmountError(str(exc)) from None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise AmountError(f"amount {value!r} is not a decimal number")
    if currency is None:
        raise AmountError(f"amount {value} has no currency")
    try:
        return Money(parse_minor(value, currency), currency)
    except MoneyError as exc:
        raise AmountError(str(exc)) from None
