"""Where Shopify tax is owed: a tax line's title plus the order's address give a jurisdiction.

Shopify names tax lines for people ("CA State Tax", "Los Angeles County Tax", "GST",
"QST", "VAT"); the jurisdiction code comes from the title and the shipping (else
billing) address: national taxes (VAT, GST ...) belong to the country ("DE", "CA"),
US state taxes to the state ("US-CA"), US county, city and district taxes to a
sub-jurisdiction of the state ("US-CA-LOS_ANGELES_COUNTY_TAX"), and other taxes
(PST, QST, HST) to the province ("CA-QC"). The mapping's ``tax.jurisdictions`` picks
the longest configured prefix, so "US-CA" alone collects every California tax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ledgerbridge.connectors.shopify.amounts import Json, shop_minor, spread, text

__all__ = ["Place", "jurisdiction", "place_of", "tax_lines"]

_NATIONAL = re.compile(r"\b(VAT|GST|IVA|MWST|TVA|BTW|MOMS|IGST|CGST|CONSUMPTION)\b")
_STATE = re.compile(r"\bSTATE\b")


@dataclass(frozen=True, slots=True)
class Place:
    """Country and province codes of where an order's tax is owed (either may be unknown)."""

    country: str | None = None
    province: str | None = None

    @property
    def code(self) -> str | None:
        """"US-CA", "DE", or None when the country is unknown."""
        if not self.country:
            return None
        return f"{self.country}-{self.province}" if self.province else self.country


def place_of(order: Json, home: str | None = None) -> Place:
    """The order's tax place: shipping address, else billing address, else ``home`` ("US-NY")."""
    for key in ("shipping_address", "billing_address"):
        address = order.get(key) or {}
        if address.get("country_code"):
            return Place(address["country_code"].upper(),
                         (address.get("province_code") or "").upper() or None)
    if home:
        country, _, province = home.upper().partition("-")
        return Place(country, province or None)
    return Place()


def _slug(title: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", title.upper()).strip("_") or "TAX"


def jurisdiction(title: str | None, place: Place) -> str:
    """The jurisdiction code of a tax line called ``title`` on an order at ``place``."""
    name = (title or "Tax").upper()
    if place.country is None:
        return _slug(name)
    if _NATIONAL.search(name) or place.province is None:
        return place.country
    if place.country == "US" and not _STATE.search(name):
        return f"US-{place.province}-{_slug(name)}"
    return f"{place.country}-{place.province}"


def _percent(rate: object) -> str | None:
    if rate is None or isinstance(rate, bool):
        return None
    return format((Decimal(str(rate)) * 100).normalize(), "f")


def tax_lines(items: list[Json], place: Place, currency: str,
              total: int | None = None) -> list[dict]:
    """Canonical tax lines of Shopify ``tax_lines``.

    With ``total``, that amount is spread over them in proportion instead (the tax
    of a partial refund); with no lines to spread over, it is owed at ``place``.
    """
    amounts = [shop_minor(t, "price", currency) for t in items]
    if total is not None:
        if not items:
            return [{"jurisdiction": place.code or "TAX", "amount": text(total, currency)}] \
                if total else []
        amounts = spread(total, amounts)
    lines = []
    for item, amount in zip(items, amounts, strict=True):
        line = {"jurisdiction": jurisdiction(item.get("title"), place),
                "name": item.get("title"), "amount": text(amount, currency)}
        percent = _percent(item.get("rate"))
        if percent is not None:
            line["percent"] = percent
        lines.append(line)
    return lines
