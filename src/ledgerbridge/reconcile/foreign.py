"""Settling items booked in another currency: relief at the carrying rate, to the cent.

An item booked in EUR by an entity that keeps its books in USD carries two open
amounts: EUR (what the customer owes) and USD (its carrying value at the rates it
was booked at). Settling part of the EUR relieves the same share of the USD,
rounded half-even; the part that settles the rest relieves all that is left, so
the item ends at zero in both currencies whatever the sequence of parts. The
settling line is posted in EUR at the rate that converts the part to exactly
the relieved USD, which keeps the ledger's own currency balances right.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from ledgerbridge.ledger import Line
from ledgerbridge.money import Money, convert, currency_exponent

__all__ = ["relief", "settling_line", "settling_rate"]

_MAX_PLACES = 40


def relief(open_: int, open_original: int, part: int) -> int:
    """The functional amount ``part`` of ``open_original`` carries (see the module doc)."""
    if part == open_original:
        return open_
    return round(Fraction(open_ * part, open_original))


def settling_rate(part: int, currency: str, relieved: int, functional: str) -> Decimal:
    """The shortest rate that converts ``part`` of ``currency`` to exactly ``relieved``.

    Usually the item's own rate (1.10 for 400.00 EUR relieving 440.00 USD); a
    longer one when rounding made the share differ from it.
    """
    shift = currency_exponent(currency) - currency_exponent(functional)
    exact = Fraction(relieved, part) * Fraction(10) ** shift
    with localcontext() as ctx:
        ctx.prec = 80
        wide = Decimal(exact.numerator) / Decimal(exact.denominator)
        for places in range(_MAX_PLACES):
            rate = wide.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
            if rate and convert(part, currency, rate, functional) == relieved:
                return rate.normalize()
    return wide


def settling_line(account: str, relieved: int, functional: str, *, part: Money | None,
                  party: str | None, memo: str | None) -> Line:
    """The line relieving an item of ``relieved`` functional units.

    With ``part`` in another currency than the functional one, the line is in
    that currency, at the rate that converts it to exactly ``relieved``.
    """
    if part is None or part.currency == functional:
        return Line(account, Money(-relieved, functional), party=party, memo=memo)
    rate = settling_rate(part.minor, part.currency, relieved, functional)
    return Line(account, -part, rate, party=party, memo=memo)
