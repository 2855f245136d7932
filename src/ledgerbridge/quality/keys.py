"""Identifiers that name one company for sure, and whether they are well formed.

Tax ids and IBANs are validated with python-stdnum; an email's domain is a key only
when it is a company's own (never a free-mail provider's); country and currency codes
are checked against ISO 3166-1 (through CLDR) and the current ISO 4217 list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from babel.core import get_global
from stdnum import get_cc_module, iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from ledgerbridge.money import iso_currencies

__all__ = [
    "FREE_MAIL",
    "TaxId",
    "company_domain",
    "country_problem",
    "currency_problem",
    "email_problem",
    "iban_problem",
    "tax_id",
]

FREE_MAIL = frozenset({
    "163.com", "aol.com", "free.fr", "gmail.com", "gmx.de", "gmx.net", "googlemail.com",
    "hotmail.com", "hotmail.co.uk", "icloud.com", "laposte.net", "libero.it", "live.com",
    "mac.com", "mail.com", "me.com", "msn.com", "orange.fr", "outlook.com", "proton.me",
    "protonmail.com", "qq.com", "t-online.de", "web.de", "yahoo.com", "yahoo.co.uk",
    "yahoo.de", "yahoo.fr", "yandex.ru", "zoho.com",
})
"""Mail providers anyone can sign up with: their domain says nothing about a company."""

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_EIN = re.compile(r"^\d{2}-\d{7}$")
# Tax number schemes tried, in order, for a country's module in python-stdnum.
_SCHEMES = ("vat", "tin", "ein", "abn", "gst", "bn")
# CLDR territories that ISO 3166-1 does not assign to a country: user-assigned codes
# and the exceptionally reserved ones (EU, UN, Ascension ...).
_NOT_ISO = re.compile(r"^(AA|Q[M-Z]|X[A-Z]|ZZ|EU|EZ|UN|AC|CP|DG|EA|IC|TA)$")


@dataclass(frozen=True, slots=True)
class TaxId:
    """A tax number as read: its key when valid, else why it is not.

    Attributes:
        key: country and compact number ("DE:136695976") when valid, else None.
        problem: why it is malformed, or None when it is valid or cannot be checked.

    """

    key: str | None
    problem: str | None


def _modules(country: str):  # noqa: ANN202 - python-stdnum modules
    for scheme in _SCHEMES:
        module = get_cc_module(country.lower(), scheme)
        if module is not None:
            yield module


@cache
def tax_id(number: str, country: str | None) -> TaxId:
    """Validate ``number`` by its VAT prefix, else by ``country``'s schemes.

    Without either, a number laid out as a US EIN is read as one.
    A number from a country python-stdnum does not know is neither a key nor a problem.
    """
    compact = re.sub(r"[\s.\-/,]", "", number).upper()
    prefix = compact[:2]
    if prefix.isalpha() and (prefix.lower() in eu_vat.MEMBER_STATES or prefix in ("GB", "CH",
                                                                                  "NO")):
        country = "GR" if prefix == "EL" else prefix
    if not country and _EIN.match(number.strip()):
        country = "US"  # the 12-3456789 layout is the US employer number's own
    if not country:
        return TaxId(None, None)
    reasons = []
    for module in _modules(country):
        try:
            return TaxId(f"{country.upper()}:{module.compact(module.validate(number))}", None)
        except ValidationError as exc:
            reasons.append(str(exc).lower().rstrip("."))
    if not reasons:
        return TaxId(None, None)
    return TaxId(None, f"not a valid {country.upper()} tax number ({reasons[0]})")


def iban_problem(number: str) -> str | None:
    """Why ``number`` is not a valid IBAN for its country, or None."""
    try:
        iban.validate(number)
    except ValidationError as exc:
        return f"not a valid IBAN ({str(exc).lower().rstrip('.')})"
    return None


def email_problem(address: str) -> str | None:
    """Why ``address`` is not a deliverable-looking email address, or None."""
    if not _EMAIL.match(address):
        return "not a valid email address"
    return None


def company_domain(address: str) -> str | None:
    """The company domain of an email address; None for free mail or a malformed one."""
    if email_problem(address):
        return None
    domain = address.rsplit("@", 1)[1].lower().removeprefix("www.")
    return None if domain in FREE_MAIL else domain


@cache
def _countries() -> frozenset[str]:
    territories = get_global("territory_currencies")
    return frozenset(t for t in territories if len(t) == 2 and t.isalpha()
                     and not _NOT_ISO.match(t))


def country_problem(code: str) -> str | None:
    """Why ``code`` is not an ISO 3166-1 alpha-2 country code, or None."""
    if code in _countries():
        return None
    hint = " (the United Kingdom is GB)" if code == "UK" else ""
    return f"{code!r} is not an ISO 3166-1 country code{hint}"


def currency_problem(code: str) -> str | None:
    """Why ``code`` is not a current ISO 4217 currency, or None."""
    if code in iso_currencies():
        return None
    return f"{code} is not a current ISO 4217 currency (withdrawn)"
