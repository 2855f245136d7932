"""OASIS UBL 2.1 Invoice and CreditNote, as EN 16931 and Peppol BIS Billing 3.0 use them."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from ledgerbridge.intake.einvoice._xml import CREDIT_TYPE_CODES, Node, read_party
from ledgerbridge.intake.einvoice.model import (
    AllowanceCharge,
    EInvoice,
    InvoiceLine,
    Totals,
    VatBreakdown,
)

__all__ = ["UBL_NAMESPACES", "read_ubl"]

UBL_NAMESPACES = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def read_ubl(root: etree._Element) -> EInvoice:
    """Read a UBL Invoice or CreditNote from its root element."""
    namespace = etree.QName(root).namespace or ""
    kind = UBL_NAMESPACES[namespace]
    doc = Node(root, {"doc": namespace, "cac": _CAC, "cbc": _CBC})
    currency = doc.text("cbc:DocumentCurrencyCode")
    type_code = doc.text(f"cbc:{kind}TypeCode")
    line_kind, quantity = (("InvoiceLine", "InvoicedQuantity") if kind == "Invoice"
                           else ("CreditNoteLine", "CreditedQuantity"))
    # BT-110 is the TaxTotal in the invoice currency; another one may give BT-111.
    tax = next((t for t in doc.all("cac:TaxTotal")
                if (a := t.first("cbc:TaxAmount")) is not None
                and a.element.get("currencyID") in (None, currency)), None)
    return EInvoice(
        syntax="ubl",
        specification=doc.text("cbc:CustomizationID"),
        number=doc.text("cbc:ID"),
        type_code=type_code,
        credit=kind == "CreditNote" or type_code in CREDIT_TYPE_CODES,
        issue_date=doc.date("cbc:IssueDate"),
        due_date=doc.date("cbc:DueDate") or doc.date("cac:PaymentMeans/cbc:PaymentDueDate"),
        currency=currency,
        seller=read_party(doc.first("cac:AccountingSupplierParty/cac:Party"), _PARTY),
        buyer=read_party(doc.first("cac:AccountingCustomerParty/cac:Party"), _PARTY),
        lines=tuple(_line(n, quantity) for n in doc.all(f"cac:{line_kind}")),
        allowances_charges=tuple(_allowance_charge(n) for n in doc.all("cac:AllowanceCharge")),
        vat=tuple(VatBreakdown(category=n.text("cac:TaxCategory/cbc:ID"),
                               rate=n.decimal("cac:TaxCategory/cbc:Percent"),
                               basis=n.decimal("cbc:TaxableAmount"),
                               amount=n.decimal("cbc:TaxAmount"),
                               exemption_reason=n.text("cac:TaxCategory/cbc:TaxExemptionReason"))
                  for n in (tax.all("cac:TaxSubtotal") if tax else [])),
        totals=_totals(doc.first("cac:LegalMonetaryTotal"),
                       tax.decimal("cbc:TaxAmount") if tax else None),
        payment_terms="; ".join(filter(None, (n.text("cbc:Note")
                                              for n in doc.all("cac:PaymentTerms")))) or None,
        ibans=tuple(filter(None, (n.text("cac:PayeeFinancialAccount/cbc:ID")
                                  for n in doc.all("cac:PaymentMeans")))),
        order_reference=doc.text("cac:OrderReference/cbc:ID"),
        buyer_reference=doc.text("cbc:BuyerReference"),
    )


_PARTY = {"name": ("cac:PartyLegalEntity/cbc:RegistrationName", "cac:PartyName/cbc:Name"),
          "vat_id": "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
          "legal_id": "cac:PartyLegalEntity/cbc:CompanyID",
          "street": "cac:PostalAddress/cbc:StreetName",
          "city": "cac:PostalAddress/cbc:CityName",
          "postal_code": "cac:PostalAddress/cbc:PostalZone",
          "country": "cac:PostalAddress/cac:Country/cbc:IdentificationCode"}
_TOTALS = {"line_total": "cbc:LineExtensionAmount", "allowance_total": "cbc:AllowanceTotalAmount",
           "charge_total": "cbc:ChargeTotalAmount", "tax_basis": "cbc:TaxExclusiveAmount",
           "grand_total": "cbc:TaxInclusiveAmount", "prepaid": "cbc:PrepaidAmount",
           "rounding": "cbc:PayableRoundingAmount", "payable": "cbc:PayableAmount"}


def _line(node: Node, quantity: str) -> InvoiceLine:
    category = "cac:Item/cac:ClassifiedTaxCategory"
    return InvoiceLine(**node.terms(
        {"id": "cbc:ID", "name": "cac:Item/cbc:Name", "unit_code": f"cbc:{quantity}/@unitCode",
         "vat_category": f"{category}/cbc:ID"},
        {"quantity": f"cbc:{quantity}", "net_price": "cac:Price/cbc:PriceAmount",
         "price_base_quantity": "cac:Price/cbc:BaseQuantity",
         "net_amount": "cbc:LineExtensionAmount", "vat_rate": f"{category}/cbc:Percent"}))


def _allowance_charge(node: Node) -> AllowanceCharge:
    return AllowanceCharge(
        charge=node.text("cbc:ChargeIndicator") == "true",
        **node.terms({"reason": ("cbc:AllowanceChargeReason", "cbc:AllowanceChargeReasonCode"),
                      "vat_category": "cac:TaxCategory/cbc:ID"},
                     {"amount": "cbc:Amount", "vat_rate": "cac:TaxCategory/cbc:Percent"}))


def _totals(node: Node | None, tax_total: Decimal | None) -> Totals:
    values = node.terms({}, _TOTALS) if node is not None else dict.fromkeys(_TOTALS)
    return Totals(tax_total=tax_total, **values)
