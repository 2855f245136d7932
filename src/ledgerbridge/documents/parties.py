"""People and companies we sell to, buy from or pay."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from ledgerbridge.documents.common import Address, CurrencyCode, Document, Ref

__all__ = ["Contact", "Iban"]

_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_EMAIL = r"^[^@\s]+@[^@\s]+$"


def _check_iban(value: str) -> str:
    compact = value.replace(" ", "").upper()
    if not _IBAN.match(compact):
        raise PydanticCustomError(
            "iban_invalid", f"{value!r} is not an IBAN (country code, two check digits, account)"
        )
    rearranged = compact[4:] + compact[:4]
    if int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 != 1:
        raise PydanticCustomError("iban_checksum", f"IBAN {value!r} has wrong check digits")
    return compact


Iban = Annotated[str, AfterValidator(_check_iban)]
"""An IBAN, stored without spaces; the ISO 13616 check digits are verified."""


class Contact(Document):
    """A customer, vendor or both.

    Attributes:
        name: display name (a company's or a person's).
        kind: whether we sell to them, buy from them, or both.
        company: the company a person belongs to, when the contact is a person.
        emails, phones: in order of preference.
        tax_id: VAT number, EIN, ABN ... as the source gives it.
        currency: the currency they are usually invoiced or paid in.

    """

    type: Literal["contact"] = "contact"
    name: str = Field(min_length=1)
    kind: Literal["customer", "vendor", "both"]
    is_person: bool = False
    company: Ref | None = None
    emails: tuple[Annotated[str, Field(pattern=_EMAIL)], ...] = ()
    phones: tuple[str, ...] = ()
    tax_id: str | None = None
    addresses: tuple[Address, ...] = ()
    iban: Iban | None = None
    bic: str | None = Field(default=None, pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")
    currency: CurrencyCode | None = None
    active: bool = True
