"""Tax codes of journal lines, and splitting a gross amount into net and tax.

A tax code says which tax a line carries, in a form that stays the same whatever
system the document came from:

- the source's own code when it gives one (``"GB-VAT20"``, ``"INPUT2"``), except the
  one- or two-letter VAT categories of e-invoices (UNCL5305), which are read:
  ``S`` (and ``AA``, ``B``, ``L``, ``M``) becomes ``<country>-<percent>``, ``Z``
  ``ZERO``, ``E`` ``EXEMPT``, ``AE`` ``REVERSE``, ``K`` ``INTRA-EU``, ``G`` ``EXPORT``
  and ``O`` ``OUT-OF-SCOPE``;
- else ``<jurisdiction>-<percent>`` (``"GB-20"``, ``"DE-19"``, ``"US-CA-7.25"``), or
  ``ZERO`` when the percent is 0;
- else the jurisdiction alone (a tax whose rate the source did not state).

Codes in :data:`UNTAXED` charge no tax; a code ending in a percent charges it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

__all__ = ["UNTAXED", "TaxCode", "jurisdiction_of", "percent_of", "split_gross", "tax_code"]

TaxCode = str
"""A tax code of ours, such as ``"GB-20"`` or ``"EXEMPT"``."""

UNTAXED = frozenset({"ZERO", "EXEMPT", "REVERSE", "INTRA-EU", "EXPORT", "OUT-OF-SCOPE"})
_CATEGORIES = {"Z": "ZERO", "E": "EXEMPT", "AE": "REVERSE", "K": "INTRA-EU", "G": "EXPORT",
               "O": "OUT-OF-SCOPE"}
_RATED = frozenset({"S", "AA", "B", "L", "M"})  # UNCL5305 categories charged at a rate
_HUNDRED = Decimal(100)


def _percent_text(percent: Decimal) -> str:
    """``20`` for 20.00, ``7.25`` for 7.250: no trailing zeros, never an exponent."""
    return format(percent.normalize(), "f")


def tax_code(jurisdiction: str, code: str | None = None,
             percent: Decimal | None = None) -> TaxCode:
    """Our tax code for a tax line: its source ``code``, jurisdiction and ``percent``."""
    given = (code or "").strip()
    if given:
        category = given.upper()
        if category in _CATEGORIES:
            return _CATEGORIES[category]
        if category not in _RATED:
            return given
        if percent is not None and percent == 0:
            return "ZERO"
        country = jurisdiction.split("-")[0]
        return f"{country}-{_percent_text(percent)}" if percent is not None else country
    if percent is None:
        return jurisdiction
    if percent == 0:
        return "ZERO"
    return f"{jurisdiction}-{_percent_text(percent)}"


def percent_of(code: TaxCode) -> Decimal | None:
    """The percent a code charges: 0 for an untaxed code, the number after its last ``-``."""
    if code.upper() in UNTAXED:
        return Decimal(0)
    _, dash, tail = code.rpartition("-")
    if not dash:
        return None
    try:
        percent = Decimal(tail)
    except InvalidOperation:
        return None
    return percent if percent.is_finite() and 0 <= percent < _HUNDRED * 10 else None


def jurisdiction_of(code: TaxCode) -> str | None:
    """The jurisdiction of a ``<jurisdiction>-<percent>`` code (``"US-CA"``), else None."""
    if percent_of(code) is None or code.upper() in UNTAXED:
        return None
    return code.rpartition("-")[0] or None


def split_gross(gross: int, percent: Decimal) -> tuple[int, int]:
    """(net, tax) of a gross amount in minor units that includes tax at ``percent``.

    The tax is ``gross * percent / (100 + percent)`` rounded half-even to the minor
    unit, and the net is ``gross - tax``, so the two always add up to the gross.
    """
    if percent < 0:
        raise ValueError(f"tax percent {percent} is negative")
    exact = Decimal(gross) * percent / (_HUNDRED + percent)
    tax = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return gross - tax, tax
