"""Values as printed on invoices in many locales: amounts, dates, currencies, ids.

Amounts are read exactly as ``Decimal``: ``1.234,56``, ``1,234.56``, ``1 234,56``,
``1'234.56``, ``(12.00)`` and ``12.00-`` are all understood. Dates are read in
numeric and written forms; month names come from CLDR through babel, so "5. März
2026", "5 mars 2026" and "March 5, 2026" are read alike. A numeric date whose day
and month could be swapped is read in the order the document's locale uses.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.dates import get_month_names
from stdnum import get_cc_module
from stdnum import iban as stdnum_iban

__all__ = ["AMOUNT", "amounts_in", "currency_in", "dates_in", "fold", "ibans_in",
           "parse_amount", "valid_vat_id", "vat_ids_in"]

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")

AMOUNT = re.compile(
    r"(?<![\w.,/-])(?P<neg>[-\u2212(])?\s?"
    r"(?P<num>\d{1,3}(?:(?P<sep>[.,'\u2019 \u00a0\u202f])\d{3})(?:(?P=sep)\d{3})*(?:[.,]\d{1,3})?"
    r"|\d+(?:[.,]\d{1,3})?)"
    r"(?P<trail>-|\))?(?![\w/]|[.,]\d)")
"""A number as printed in an amount column, with its sign conventions."""

_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF", "Fr.": "CHF",
            "US$": "USD", "A$": "AUD", "C$": "CAD", "kr": "SEK", "zł": "PLN", "$": "USD"}


def fold(text: str) -> str:
    """Lower-case ``text`` without accents and with single spaces, for label matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())


def parse_amount(text: str) -> Decimal | None:
    """The amount ``text`` holds entirely (sign conventions included), else None."""
    match = AMOUNT.fullmatch(text.strip().rstrip(":"))
    return _amount(match) if match else None


def amounts_in(text: str) -> list[Decimal]:
    """Every amount printed in ``text``, left to right (percentages excluded)."""
    found = []
    for match in AMOUNT.finditer(text):
        rest = text[match.end():].lstrip()
        if rest.startswith("%"):
            continue
        value = _amount(match)
        if value is not None:
            found.append(value)
    return found


def _amount(match: re.Match[str]) -> Decimal | None:
    number, separator = match["num"], match["sep"]
    decimals = re.search(r"[.,](\d{1,3})$", number)
    if decimals and number[decimals.start()] != separator:
        whole = number[:decimals.start()]
        body = (whole.replace(separator, "") if separator else whole) + "." + decimals[1]
    else:
        body = number.replace(separator, "") if separator else number
    try:
        value = Decimal(body)
    except InvalidOperation:
        return None
    negative = match["neg"] in ("-", "\u2212") or match["trail"] == "-" or (
        match["neg"] == "(" and match["trail"] == ")")
    return -value if negative else value


_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})[./\-](\d{1,2})[./\-](\d{2,4})(?!\d)")


@cache
def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for language in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, language).items():
                    names.setdefault(fold(name).rstrip("."), number)
    names["sept"] = 9
    return names


@cache
def _written_date() -> re.Pattern[str]:
    months = "|".join(sorted((re.escape(n) for n in _month_names()), key=len, reverse=True))
    return re.compile(
        rf"(?<![\w])(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th|er|\.|º)?\s*(?:de\s+)?"
        rf"(?P<m1>{months})\.?,?\s*(?:de\s+)?(?P<y1>\d{{4}})"
        rf"|(?P<m2>{months})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}}))(?!\w)")


def dates_in(text: str, *, day_first: bool = True) -> list[dt.date]:
    """Every valid date printed in ``text``, left to right.

    ``day_first`` decides a numeric date such as 03/04/2026 whose day and month could
    be swapped; year-first dates (2026-04-03) and written months are never ambiguous.
    """
    folded = fold(text)
    found: list[tuple[int, dt.date]] = []
    for match in _NUMERIC_DATE.finditer(folded):
        date = _numeric_date(*(int(g) for g in match.groups()), len(match[1]), day_first)
        if date is not None:
            found.append((match.start(), date))
    names = _month_names()
    for match in _written_date().finditer(folded):
        day, month, year = ((match["d1"], match["m1"], match["y1"]) if match["d1"]
                            else (match["d2"], match["m2"], match["y2"]))
        try:
            found.append((match.start(), dt.date(int(year), names[month.rstrip(".")],
                                                 int(day))))
        except ValueError:
            continue
    return [date for _, date in sorted(found, key=lambda pair: pair[0])]


def _numeric_date(a: int, b: int, c: int, first_width: int,
                  day_first: bool) -> dt.date | None:
    if first_width == 4:
        year, month, day = a, b, c
    else:
        year = c + 2000 if c < 100 else c
        day, month = (a, b) if day_first else (b, a)
        if month > 12 >= day:
            day, month = month, day
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    return date if 1990 <= date.year <= 2100 else None


def currency_in(text: str) -> str | None:
    """The currency whose symbol ``text`` prints (€, £, $ ...), if any."""
    return next((code for symbol, code in _SYMBOLS.items() if symbol in text), None)


_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b")


def ibans_in(text: str) -> list[str]:
    """Every valid IBAN printed in ``text``, compact, checked by its check digits."""
    found = []
    for line in text.upper().splitlines():
        for match in _IBAN.finditer(line):
            compact = stdnum_iban.compact(match[1])
            # A group printed right after the IBAN may belong to the next word: shrink.
            for end in range(len(compact), 14, -1):
                if stdnum_iban.is_valid(compact[:end]):
                    found.append(compact[:end])
                    break
    return found


_VAT_ID = re.compile(r"\b((?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|"
                     r"PL|PT|RO|SE|SI|SK|XI|CHE)[\s.-]?[0-9A-Z][0-9A-Z .-]{6,16}[0-9A-Z])\b")


def vat_ids_in(text: str) -> list[str]:
    """Every valid EU-style VAT id printed in ``text``, compact, checked by python-stdnum."""
    found = []
    for match in _VAT_ID.finditer(text.upper()):
        candidate = match[1]
        # An id is followed by words, not more of itself: try shrinking from the right.
        parts = candidate.split(" ")
        for end in range(len(parts), 0, -1):
            value = re.sub(r"[\s.-]", "", " ".join(parts[:end]))
            if valid_vat_id(value):
                found.append(value)
                break
    return found


def valid_vat_id(value: str) -> bool:
    """True when ``value`` (country prefix + number, compact) passes its country's checks."""
    country = {"EL": "gr", "XI": "gb", "CH": "ch"}.get(value[:2], value[:2].lower())
    module = get_cc_module(country, "vat")
    return module is not None and bool(module.is_valid(value[2:] if country != "ch" else value))
