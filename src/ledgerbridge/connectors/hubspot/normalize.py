"""HubSpot records -> canonical documents: a Deal, and Contacts for whom it is with.

Pure functions of a bundle (see ``records.py``) and the connection's settings, so a
stored bundle normalizes the same way on every replay.

- The deal's status is ``won`` in a won stage (the pipeline's probability 1.0, or the
  ``won_stages`` setting), ``lost`` in another closed stage (or ``lost_stages``),
  else ``open`` — so a deal moved back out of a won stage is open again.
- Amounts are HubSpot's decimal text read exactly; a value with more decimals than
  the currency has (HubSpot stores numbers, not money) is rounded half-even.
- Companies and contacts are customers. HubSpot numbers each object type on its
  own, so their external ids are prefixed (``company:123``, ``contact:456``) to
  keep a company and a contact with the same number apart; references use the same
  ids.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ledgerbridge.connectors.hubspot.stamps import parse
from ledgerbridge.documents import (
    Address,
    Contact,
    Deal,
    Discount,
    Line,
    PaymentTerms,
    Ref,
    Source,
)
from ledgerbridge.money import Money, currency_exponent

if TYPE_CHECKING:
    from ledgerbridge.connectors.hubspot.connector import HubSpotSettings

__all__ = ["company_contact", "deal_documents", "payment_terms", "person_contact",
           "record_id"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NET_DAYS = re.compile(r"(\d+)")
_DUE_NOW = frozenset({"due on receipt", "due upon receipt", "immediate", "cod"})


def record_id(object_type: str, object_id: str) -> str:
    """The external id of a company or contact: ``company:123``, ``contact:456``."""
    return f"{object_type}:{object_id}"


def _text(properties: dict[str, Any], name: str | None) -> str | None:
    value = properties.get(name) if name else None
    return (value.strip() or None) if isinstance(value, str) else None


def _decimal(text: str | None, what: str) -> Decimal | None:
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f"{what} {text!r} is not a number")
    return number


def _money(value: Decimal | None, currency: str) -> Money | None:
    if value is None:
        return None
    minor = value.scaleb(currency_exponent(currency)).quantize(Decimal(1), ROUND_HALF_EVEN)
    return Money(int(minor), currency)


def _exact(value: Decimal | None, currency: str) -> bool:
    if value is None:
        return False
    scaled = value.scaleb(currency_exponent(currency))
    return scaled == scaled.to_integral_value()


def _source(record: dict[str, Any], object_type: str, external_id: str,
            connection: str) -> Source:
    properties = record.get("properties") or {}
    stamp = (_text(properties, "hs_lastmodifieddate") or _text(properties, "lastmodifieddate")
             or record.get("updatedAt"))
    return Source(connection=connection, object_type=object_type, external_id=external_id,
                  updated_at=parse(stamp) if stamp else None)


def payment_terms(text: str | None) -> PaymentTerms | None:
    """Terms from text such as "Net 30", "30" or "Due on receipt"; None if unreadable."""
    if text is None:
        return None
    if text.lower() in _DUE_NOW:
        return PaymentTerms(name=text, net_days=0)
    days = _NET_DAYS.search(text)
    return PaymentTerms(name=text, net_days=int(days.group(1))) if days else None


def _status(stage_id: str | None, stage: dict[str, Any] | None,
            settings: HubSpotSettings) -> str:
    won = stage_id in settings.won_stages if settings.won_stages \
        else bool(stage and stage["won"])
    if won:
        return "won"
    lost = stage_id in settings.lost_stages if settings.lost_stages \
        else bool(stage and stage["closed"])
    return "lost" if lost else "open"


def _line(item: dict[str, Any], currency: str, settings: HubSpotSettings) -> Line:
    p = item.get("properties") or {}
    quantity = _decimal(_text(p, "quantity") or "1", "quantity")
    price = _decimal(_text(p, "price"), "price")
    fields: dict[str, Any] = {"description": _text(p, "name"), "quantity": quantity,
                              "account": _text(p, settings.line_account_property)}
    if price is None:  # no unit price: HubSpot's amount is the line's net amount
        fields["amount"] = _money(_decimal(_text(p, "amount") or "0", "amount"), currency)
    elif _exact(price, currency):
        fields["unit_price"] = _money(price, currency)
    else:  # a unit price finer than the currency: keep the rounded line amount
        fields["amount"] = _money(quantity * price, currency)
    percent = _decimal(_text(p, "hs_discount_percentage"), "discount percentage")
    unit_discount = _decimal(_text(p, "discount"), "discount")
    if price is not None and percent:
        fields["discount"] = Discount(percent=percent)
    elif price is not None and unit_discount:
        fields["discount"] = Discount(amount=_money(unit_discount * quantity, currency))
    product = _text(p, "hs_product_id")
    if product:
        fields["item"] = Ref(external_id=record_id("product", product), name=_text(p, "name"))
    return Line(**fields)


def _position(item: dict[str, Any]) -> tuple[int, int]:
    position = _text(item.get("properties") or {}, "hs_position_on_quote")
    return (int(position) if position and position.lstrip("-").isdigit() else 1 << 30,
            int(item["id"]))


def _person_name(p: dict[str, Any]) -> str | None:
    name = " ".join(n for n in (_text(p, "firstname"), _text(p, "lastname")) if n)
    return name or _text(p, "email")


def company_contact(record: dict[str, Any], connection: str) -> Contact:
    """A HubSpot company as a customer."""
    p = record.get("properties") or {}
    country = (_text(p, "country") or "").upper()
    address = {"line1": _text(p, "address"), "line2": _text(p, "address2"),
               "city": _text(p, "city"), "region": _text(p, "state"),
               "postal_code": _text(p, "zip"),
               "country": country if _COUNTRY.match(country) else None}
    external_id = record_id("company", record["id"])
    return Contact(
        name=_text(p, "name") or _text(p, "domain") or f"Company {record['id']}",
        kind="customer",
        phones=tuple(filter(None, [_text(p, "phone")])),
        addresses=(Address(**address),) if any(address.values()) else (),
        source=_source(record, "company", external_id, connection),
    )


def person_contact(record: dict[str, Any], connection: str) -> Contact:
    """A HubSpot contact as a customer (a person, with their primary company)."""
    p = record.get("properties") or {}
    email = _text(p, "email")
    company = _text(p, "associatedcompanyid")
    external_id = record_id("contact", record["id"])
    return Contact(
        name=_person_name(p) or f"Contact {record['id']}",
        kind="customer",
        is_person=True,
        company=Ref(external_id=record_id("company", company)) if company else None,
        emails=(email,) if email and _EMAIL.match(email) else (),
        phones=tuple(filter(None, [_text(p, "phone"), _text(p, "mobilephone")])),
        source=_source(record, "contact", external_id, connection),
    )


def _date(text: str | None) -> dt.date | None:
    return parse(text).date() if text else None


def deal_documents(bundle: dict[str, Any], settings: HubSpotSettings,
                   connection: str) -> list[Contact | Deal]:
    """The documents of one bundle: its companies and contacts first, then the deal."""
    deal = bundle["deal"]
    p = deal.get("properties") or {}
    currency = _text(p, "deal_currency_code") or settings.currency
    stage_id = _text(p, "dealstage")
    stage = bundle.get("stage")
    companies = [company_contact(c, connection) for c in bundle.get("companies", [])]
    people = [person_contact(c, connection) for c in bundle.get("contacts", [])]
    rate = _text(p, "hs_exchange_rate") if currency != settings.currency else None
    document = Deal(
        name=_text(p, "dealname") or f"Deal {deal['id']}",
        pipeline=(stage or {}).get("pipeline") or _text(p, "pipeline"),
        stage=(stage or {}).get("label") or stage_id or "unknown",
        status=_status(stage_id, stage, settings),
        amount=_money(_decimal(_text(p, "amount"), "amount"), currency),
        currency=currency,
        exchange_rate=rate,
        close_date=_date(_text(p, "closedate")),
        company=Ref(external_id=companies[0].source.external_id, name=companies[0].name)
        if companies else None,
        contacts=tuple(Ref(external_id=c.source.external_id, name=c.name) for c in people),
        owner=_text(p, "hubspot_owner_id"),
        lines=tuple(_line(item, currency, settings)
                    for item in sorted(bundle.get("line_items", []), key=_position)),
        payment_terms=payment_terms(_text(p, settings.payment_terms_property)),
        source=_source(deal, "deal", deal["id"], connection),
    )
    return [*companies, *people, document]
