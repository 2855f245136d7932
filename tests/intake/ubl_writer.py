"""A minimal UBL 2.1 invoice writer, to check that what we write is what we read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from ledgerbridge.money import format_minor


@dataclass(frozen=True)
class SimpleLine:
    """One invoice line: a name, a quantity, its net amount in cents and its VAT rate."""

    name: str
    quantity: Decimal
    net_cents: int
    rate: Decimal


def vat_by_rate(lines: list[SimpleLine]) -> dict[Decimal, tuple[int, int]]:
    """Rate -> (basis, VAT) in cents, the VAT rounded half up per rate."""
    bases: dict[Decimal, int] = {}
    for line in lines:
        bases[line.rate] = bases.get(line.rate, 0) + line.net_cents
    return {rate: (basis, int((basis * rate / 100).quantize(Decimal(1), ROUND_HALF_UP)))
            for rate, basis in bases.items()}


def write_ubl(number: str, lines: list[SimpleLine], *, credit: bool = False) -> bytes:
    """A UBL Invoice (or CreditNote) in EUR from a Danish seller, with those lines."""
    kind = "CreditNote" if credit else "Invoice"

    def amount(element: str, cents: int) -> str:
        return f'<cbc:{element} currencyID="EUR">{format_minor(cents, "EUR")}</cbc:{element}>'

    vat = vat_by_rate(lines)
    basis = sum(line.net_cents for line in lines)
    tax = sum(v for _, v in vat.values())
    subtotals = "".join(
        f"<cac:TaxSubtotal>{amount('TaxableAmount', b)}{amount('TaxAmount', v)}"
        f"<cac:TaxCategory><cbc:ID>{'S' if rate else 'Z'}</cbc:ID><cbc:Percent>{rate}"
        "</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>"
        "</cac:TaxSubtotal>" for rate, (b, v) in vat.items())
    quantity = "InvoicedQuantity" if not credit else "CreditedQuantity"
    body = "".join(
        f"<cac:{kind}Line><cbc:ID>{n}</cbc:ID>"
        f'<cbc:{quantity} unitCode="C62">{line.quantity}</cbc:{quantity}>'
        f"{amount('LineExtensionAmount', line.net_cents)}"
        f"<cac:Item><cbc:Name>{escape(line.name)}</cbc:Name><cac:ClassifiedTaxCategory>"
        f"<cbc:ID>{'S' if line.rate else 'Z'}</cbc:ID><cbc:Percent>{line.rate}</cbc:Percent>"
        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>"
        f"</cac:Item></cac:{kind}Line>" for n, line in enumerate(lines, 1))
    party = ("<cac:Party><cac:PostalAddress><cac:Country><cbc:IdentificationCode>{c}"
             "</cbc:IdentificationCode></cac:Country></cac:PostalAddress>{tax}"
             "<cac:PartyLegalEntity><cbc:RegistrationName>{n}</cbc:RegistrationName>"
             "</cac:PartyLegalEntity></cac:Party>")
    seller_vat = ("<cac:PartyTaxScheme><cbc:CompanyID>DK12345678</cbc:CompanyID>"
                  "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>")
    return (
        f'<{kind} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{kind}-2" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
        "<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>"
        f"<cbc:ID>{escape(number)}</cbc:ID><cbc:IssueDate>2026-01-31</cbc:IssueDate>"
        f"<cbc:{kind}TypeCode>{381 if credit else 380}</cbc:{kind}TypeCode>"
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        f"<cac:AccountingSupplierParty>{party.format(c='DK', tax=seller_vat, n='Leverandør A/S')}"
        "</cac:AccountingSupplierParty>"
        f"<cac:AccountingCustomerParty>{party.format(c='DE', tax='', n='Kunde GmbH')}"
        "</cac:AccountingCustomerParty>"
        f"<cac:TaxTotal>{amount('TaxAmount', tax)}{subtotals}</cac:TaxTotal>"
        f"<cac:LegalMonetaryTotal>{amount('LineExtensionAmount', basis)}"
        f"{amount('TaxExclusiveAmount', basis)}{amount('TaxInclusiveAmount', basis + tax)}"
        f"{amount('PayableAmount', basis + tax)}</cac:LegalMonetaryTotal>"
        f"{body}</{kind}>"
    ).encode()
