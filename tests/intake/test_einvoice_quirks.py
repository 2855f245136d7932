"""Layouts of real Peppol and ZUGFeRD files that the readers must keep reading exactly.

Each document is written out here, cut down to the terms that matter.
"""

from __future__ import annotations

from decimal import Decimal

from ledgerbridge.intake import assess
from ledgerbridge.money import Money

_UBL_NS = ('xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
           'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
           'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"')


def _category(code: str, rate: str, extra: str = "") -> str:
    return (f"<cbc:ID>{code}</cbc:ID>{extra}<cbc:Percent>{rate}</cbc:Percent>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>")


def _party(role: str, name: str) -> str:
    return (f"<cac:{role}><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>{name}"
            f"</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:{role}>")


def _ubl(*, head: str = "", lines: str, taxes: str, totals: str, charges: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the root element -->
<Invoice {_UBL_NS}>
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
<cbc:ID>Q-1</cbc:ID><cbc:IssueDate>2017-11-13</cbc:IssueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
{head}{_party("AccountingSupplierParty", "Seller Ltd")}
{_party("AccountingCustomerParty", "Buyer AB")}
{charges}{taxes}<cac:LegalMonetaryTotal>{totals}</cac:LegalMonetaryTotal>{lines}</Invoice>
""".encode()


def _ubl_line(number: int, quantity: str, amount: str, category: str, extra: str = "") -> str:
    return (f'<cac:InvoiceLine><cbc:ID>{number}</cbc:ID><cbc:InvoicedQuantity unitCode="C62">'
            f'{quantity}</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID= "EUR">'
            f"{amount}</cbc:LineExtensionAmount>{extra}<cac:Item><cbc:Name>item {number}"
            f"</cbc:Name><cac:ClassifiedTaxCategory>{category}</cac:ClassifiedTaxCategory>"
            "</cac:Item><cac:Price><cbc:PriceAmount currencyID=\"EUR\">1</cbc:PriceAmount>"
            "</cac:Price></cac:InvoiceLine>")


def _amounts(**values: str) -> str:
    names = {"lines": "LineExtensionAmount", "basis": "TaxExclusiveAmount",
             "grand": "TaxInclusiveAmount", "allowances": "AllowanceTotalAmount",
             "charges": "ChargeTotalAmount", "prepaid": "PrepaidAmount",
             "payable": "PayableAmount"}
    return "".join(f'<cbc:{names[k]} currencyID="EUR">{v}</cbc:{names[k]}>'
                   for k, v in values.items())


def test_exempt_invoice_with_only_an_exemption_code_and_a_tax_currency_total() -> None:
    taxes = ('<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount><cac:TaxSubtotal>'
             '<cbc:TaxableAmount currencyID="EUR">1200.00</cbc:TaxableAmount>'
             '<cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount><cac:TaxCategory>'
             + _category("E", "0", "<cbc:TaxExemptionReasonCode>VATEX-EU-F"
                                   "</cbc:TaxExemptionReasonCode>")
             + '</cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>'
             '<cac:TaxTotal><cbc:TaxAmount currencyID ="SEK">0.00</cbc:TaxAmount></cac:TaxTotal>')
    content = _ubl(head="<cbc:TaxCurrencyCode>SEK</cbc:TaxCurrencyCode>",
                   lines=_ubl_line(1, "10", "1200.00", _category("E", "0.0")), taxes=taxes,
                   totals=_amounts(lines="1200.00", basis="1200.00", grand="1200.00",
                                   payable="1200.00"))
    outcome = assess(content, "0" * 64)
    assert outcome.status == "ready", outcome.findings
    assert outcome.bill.total == Money(120000, "EUR")
    assert outcome.bill.tax_total == Money(0, "EUR")


def test_negative_correction_invoice_with_a_negative_charge_books_negative() -> None:
    charge = ('<cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator>'
              '<cbc:AllowanceChargeReason>Insurance</cbc:AllowanceChargeReason>'
              '<cbc:Amount currencyID="EUR">-25</cbc:Amount><cac:TaxCategory>'
              + _category("S", "25.0") + "</cac:TaxCategory></cac:AllowanceCharge>")
    taxes = ('<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">-331.25</cbc:TaxAmount>'
             '<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">-1325</cbc:TaxableAmount>'
             '<cbc:TaxAmount currencyID="EUR">-331.25</cbc:TaxAmount><cac:TaxCategory>'
             + _category("S", "25") + "</cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>")
    lines = (_ubl_line(1, "-7", "-2800", _category("S", "25.0"))
             + _ubl_line(2, "3", "1500", _category("S", "25.0")))
    content = _ubl(lines=lines, taxes=taxes, charges=charge,
                   totals=_amounts(lines="-1300", basis="-1325", grand="-1656.25",
                                   charges="-25", payable="-1656.25"))
    outcome = assess(content, "0" * 64)
    assert outcome.status == "ready", outcome.findings
    assert outcome.invoice.lines[0].quantity == Decimal("-7")
    assert outcome.bill.total == Money(-165625, "EUR")
    assert outcome.bill.tax_total == Money(-33125, "EUR")


_CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" \
xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" \
xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
<ram:ID>urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended</ram:ID>
</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>123</ram:ID><ram:TypeCode>380</ram:TypeCode>
<ram:IssueDateTime><udt:DateTimeString format="102">20201222</udt:DateTimeString>
</ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>{lines}
<ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Test company</ram:Name>
</ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>Franz M\u00fcller</ram:Name>
</ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
<ram:ApplicableTradeTax><ram:CalculatedAmount>2.36</ram:CalculatedAmount><ram:TypeCode>VAT\
</ram:TypeCode><ram:BasisAmount>12.40</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
<ram:RateApplicablePercent>19.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>12.40\
</ram:LineTotalAmount><ram:TaxBasisTotalAmount>12.40</ram:TaxBasisTotalAmount>
<ram:TaxTotalAmount currencyID="EUR">2.36</ram:TaxTotalAmount><ram:GrandTotalAmount>14.76\
</ram:GrandTotalAmount><ram:DuePayableAmount>14.76</ram:DuePayableAmount>
</ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>
"""


def _cii_line(number: int, price_charges: str, net: str, quantity: str, total: str) -> str:
    return f"""<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument>
<ram:LineID>{number}</ram:LineID></ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct>
<ram:Name>Testprodukt</ram:Name><ram:Description/></ram:SpecifiedTradeProduct>
<ram:SpecifiedLineTradeAgreement><ram:GrossPriceProductTradePrice><ram:ChargeAmount>3.0000\
</ram:ChargeAmount>{price_charges}</ram:GrossPriceProductTradePrice><ram:NetPriceProductTradePrice>
<ram:ChargeAmount>{net}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
</ram:SpecifiedLineTradeAgreement><ram:SpecifiedLineTradeDelivery><ram:BilledQuantity \
unitCode="C62">{quantity}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
<ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>
<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19.00</ram:RateApplicablePercent>
</ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>\
{total}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
</ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>"""


def _price_charge(charge: bool, amount: str) -> str:
    return (f"<ram:AppliedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>"
            f"{'true' if charge else 'false'}</udt:Indicator></ram:ChargeIndicator>"
            f"<ram:ActualAmount>{amount}</ram:ActualAmount></ram:AppliedTradeAllowanceCharge>")


def test_price_level_allowances_and_charges_are_not_document_ones() -> None:
    lines = (_cii_line(1, _price_charge(False, "0.1000"), "2.9000", "1.0000", "2.90")
             + _cii_line(2, _price_charge(True, "1.0000"), "4.0000", "2.0000", "8.00")
             + _cii_line(3, _price_charge(False, "1.0000") + _price_charge(True, "1.0000"),
                         "3.0000", "0.5000", "1.50"))
    outcome = assess(_CII.format(lines=lines).encode(), "0" * 64)
    assert outcome.status == "ready", outcome.findings
    assert outcome.invoice.allowances_charges == ()
    assert [line.net_amount for line in outcome.invoice.lines] == [
        Decimal("2.90"), Decimal("8.00"), Decimal("1.50")]
    assert outcome.bill.total == Money(1476, "EUR")
