"""UN/CEFACT Cross Industry Invoice: Factur-X and ZUGFeRD 2.x (D16B), and ZUGFeRD 1.0.

ZUGFeRD 1.0 carries the same business terms under older element names and
namespaces, so one reader serves both, driven by a table of paths per version.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ledgerbridge.intake.einvoice._xml import CREDIT_TYPE_CODES, Node, read_party
from ledgerbridge.intake.einvoice.model import (
    AllowanceCharge,
    EInvoice,
    InvoiceLine,
    Totals,
    VatBreakdown,
)

__all__ = ["CII_NAMESPACE", "ZUGFERD1_NAMESPACE", "read_cii"]

CII_NAMESPACE = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
ZUGFERD1_NAMESPACE = "urn:ferd:CrossIndustryDocument:invoice:1p0"


@dataclass(frozen=True, slots=True)
class _Paths:
    """Where one CII version keeps each group of terms."""

    syntax: str
    ns: dict[str, str]
    context: str
    header: str
    transaction: str
    agreement: str
    settlement: str
    summation: str
    rate: str
    line_agreement: str
    line_delivery: str
    line_settlement: str
    line_summation: str


_D16B = _Paths(
    syntax="cii",
    ns={"rsm": CII_NAMESPACE,
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"},
    context="rsm:ExchangedDocumentContext",
    header="rsm:ExchangedDocument",
    transaction="rsm:SupplyChainTradeTransaction",
    agreement="rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement",
    settlement="rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement",
    summation="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    rate="ram:RateApplicablePercent",
    line_agreement="ram:SpecifiedLineTradeAgreement",
    line_delivery="ram:SpecifiedLineTradeDelivery",
    line_settlement="ram:SpecifiedLineTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementLineMonetarySummation",
)

_ZUGFERD1 = _Paths(
    syntax="cii-zugferd1",
    ns={"rsm": ZUGFERD1_NAMESPACE,
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"},
    context="rsm:SpecifiedExchangedDocumentContext",
    header="rsm:HeaderExchangedDocument",
    transaction="rsm:SpecifiedSupplyChainTradeTransaction",
    agreement="rsm:SpecifiedSupplyChainTradeTransaction/ram:ApplicableSupplyChainTradeAgreement",
    settlement="rsm:SpecifiedSupplyChainTradeTransaction/ram:ApplicableSupplyChainTradeSettlement",
    summation="ram:SpecifiedTradeSettlementMonetarySummation",
    rate="ram:ApplicablePercent",
    line_agreement="ram:SpecifiedSupplyChainTradeAgreement",
    line_delivery="ram:SpecifiedSupplyChainTradeDelivery",
    line_settlement="ram:SpecifiedSupplyChainTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementMonetarySummation",
)


def read_cii(root: etree._Element) -> EInvoice:
    """Read a CII invoice (any Factur-X profile, ZUGFeRD 2.x or 1.0) from its root element."""
    paths = _ZUGFERD1 if etree.QName(root).namespace == ZUGFERD1_NAMESPACE else _D16B
    doc = Node(root, paths.ns)
    header = doc.first(paths.header) or doc
    agreement = doc.first(paths.agreement) or doc
    settlement = doc.first(paths.settlement) or doc
    currency = settlement.text("ram:InvoiceCurrencyCode")
    type_code = header.text("ram:TypeCode")
    terms = settlement.all("ram:SpecifiedTradePaymentTerms")
    return EInvoice(
        syntax=paths.syntax,
        specification=doc.text(f"{paths.context}/ram:GuidelineSpecifiedDocumentContextParameter"
                               "/ram:ID"),
        number=header.text("ram:ID"),
        type_code=type_code,
        credit=type_code in CREDIT_TYPE_CODES,
        issue_date=header.date("ram:IssueDateTime/udt:DateTimeString"),
        due_date=next((d for t in terms
                       if (d := t.date("ram:DueDateDateTime/udt:DateTimeString"))), None),
        currency=currency,
        seller=read_party(agreement.first("ram:SellerTradeParty"), _PARTY),
        buyer=read_party(agreement.first("ram:BuyerTradeParty"), _PARTY),
        lines=tuple(_line(n, paths) for n in doc.all(
            f"{paths.transaction}/ram:IncludedSupplyChainTradeLineItem")),
        allowances_charges=tuple(_allowance_charge(n, paths) for n in settlement.all(
            "ram:SpecifiedTradeAllowanceCharge")),
        vat=tuple(VatBreakdown(category=n.text("ram:CategoryCode"), rate=n.decimal(paths.rate),
                               basis=n.decimal("ram:BasisAmount"),
                               amount=n.decimal("ram:CalculatedAmount"),
                               exemption_reason=n.text("ram:ExemptionReason"))
                  for n in settlement.all("ram:ApplicableTradeTax")),
        totals=_totals(settlement.first(paths.summation), currency),
        payment_terms="; ".join(filter(None, (t.text("ram:Description") for t in terms))) or None,
        ibans=tuple(filter(None, (n.text("ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
                                  for n in settlement.all(
                                      "ram:SpecifiedTradeSettlementPaymentMeans")))),
        order_reference=agreement.text("ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        buyer_reference=agreement.text("ram:BuyerReference"),
    )


_PARTY = {"name": "ram:Name",
          "vat_id": "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
          "legal_id": "ram:SpecifiedLegalOrganization/ram:ID",
          "street": "ram:PostalTradeAddress/ram:LineOne",
          "city": "ram:PostalTradeAddress/ram:CityName",
          "postal_code": "ram:PostalTradeAddress/ram:PostcodeCode",
          "country": "ram:PostalTradeAddress/ram:CountryID"}
_TOTALS = {"line_total": "ram:LineTotalAmount", "allowance_total": "ram:AllowanceTotalAmount",
           "charge_total": "ram:ChargeTotalAmount", "tax_basis": "ram:TaxBasisTotalAmount",
           "grand_total": "ram:GrandTotalAmount", "prepaid": "ram:TotalPrepaidAmount",
           "rounding": "ram:RoundingAmount", "payable": "ram:DuePayableAmount"}


def _line(node: Node, paths: _Paths) -> InvoiceLine:
    price = f"{paths.line_agreement}/ram:NetPriceProductTradePrice"
    tax = f"{paths.line_settlement}/ram:ApplicableTradeTax"
    quantity = f"{paths.line_delivery}/ram:BilledQuantity"
    return InvoiceLine(**node.terms(
        {"id": "ram:AssociatedDocumentLineDocument/ram:LineID",
         "name": "ram:SpecifiedTradeProduct/ram:Name",
         "unit_code": f"{quantity}/@unitCode", "vat_category": f"{tax}/ram:CategoryCode"},
        {"quantity": quantity, "net_price": f"{price}/ram:ChargeAmount",
         "price_base_quantity": f"{price}/ram:BasisQuantity",
         "net_amount": f"{paths.line_settlement}/{paths.line_summation}/ram:LineTotalAmount",
         "vat_rate": f"{tax}/{paths.rate}"}))


def _allowance_charge(node: Node, paths: _Paths) -> AllowanceCharge:
    return AllowanceCharge(
        charge=node.text("ram:ChargeIndicator/udt:Indicator") == "true",
        **node.terms({"reason": ("ram:Reason", "ram:ReasonCode"),
                      "vat_category": "ram:CategoryTradeTax/ram:CategoryCode"},
                     {"amount": "ram:ActualAmount",
                      "vat_rate": f"ram:CategoryTradeTax/{paths.rate}"}))


def _totals(node: Node | None, currency: str | None) -> Totals:
    if node is None:
        return Totals(**dict.fromkeys((*_TOTALS, "tax_total")))
    # BT-110 is the tax total in the invoice currency; BT-111, in the VAT accounting
    # currency, is the same element with another currencyID.
    tax_total = next((n.decimal(".") for n in node.all("ram:TaxTotalAmount")
                      if n.element.get("currencyID") in (None, currency)), None)
    return Totals(tax_total=tax_total, **node.terms({}, _TOTALS))
