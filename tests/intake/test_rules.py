"""Each booking rule catches the error it is about, with the figures, and nothing else."""

from __future__ import annotations

import pytest
from lxml import etree

from ledgerbridge.intake import assess
from ledgerbridge.intake.einvoice import EInvoiceError, read_einvoice
from tests.intake.samples import sample

UBL = "en16931/ubl/ubl-tc434-example1.xml"
CII = "factur-x/factur-x-en16931.xml"


def _edit(name: str, path: str, value: str | None) -> bytes:
    """The sample with the text at ``path`` (any namespace, local names) set or removed."""
    root = etree.fromstring(sample(name))
    steps = "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
    node = root.xpath(f"(//{steps})[1]")[0]
    if value is None:
        node.getparent().remove(node)
    else:
        node.text = value
    return etree.tostring(root)


def _rules(content: bytes) -> dict[str, str]:
    return {f.rule: f.message for f in assess(content, "0" * 64).findings}


def test_line_amount_changed_breaks_br_co_10_and_the_rate_basis():
    found = _rules(_edit(UBL, "InvoiceLine/LineExtensionAmount", "19.91"))
    assert set(found) == {"BR-CO-10", "BR-S-08"}
    assert "229.61" in found["BR-CO-10"] and "229.60" in found["BR-CO-10"]


def test_tax_basis_changed_breaks_br_co_13_and_br_co_15():
    found = _rules(_edit(UBL, "LegalMonetaryTotal/TaxExclusiveAmount", "229.50"))
    assert set(found) == {"BR-CO-13", "BR-CO-15"}


def test_vat_total_changed_breaks_br_co_14_and_br_co_15():
    found = _rules(_edit(UBL, "TaxTotal/TaxAmount", "20.74"))
    assert set(found) == {"BR-CO-14", "BR-CO-15"}
    assert "20.74" in found["BR-CO-14"] and "20.73" in found["BR-CO-14"]


def test_payable_changed_breaks_br_co_16():
    found = _rules(_edit(UBL, "LegalMonetaryTotal/PayableAmount", "250.00"))
    assert set(found) == {"BR-CO-16"}
    assert "250.33 - prepaid 0 + rounding 0 = 250.33" in found["BR-CO-16"]


def test_vat_of_a_rate_off_by_more_than_a_cent_breaks_br_s_09():
    # 183.23 x 6 % = 10.99; 11.00 is within the tolerance, 11.01 is not.
    within = _edit(UBL, "TaxSubtotal/TaxAmount", "11.00")
    root = etree.fromstring(within)
    total = root.xpath("//*[local-name()='TaxTotal']/*[local-name()='TaxAmount']")[0]
    total.text = "20.74"
    for name in ("TaxInclusiveAmount", "PayableAmount"):
        root.xpath(f"//*[local-name()='{name}']")[0].text = "250.34"
    assert _rules(etree.tostring(root)) == {}
    found = _rules(_edit(UBL, "TaxSubtotal/TaxAmount", "11.01"))
    assert {"BR-S-09", "BR-CO-14"} <= set(found)
    assert "183.23 x 6 % = 10.99" in found["BR-S-09"]


def test_missing_number_and_seller_break_mandatory_rules():
    assert set(_rules(_edit(CII, "ExchangedDocument/ID", None))) == {"BR-02"}
    assert set(_rules(_edit(CII, "SellerTradeParty/Name", None))) == {"BR-06"}


def test_amount_with_too_many_decimals_is_reported_not_rounded():
    found = _rules(_edit(CII, "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
                         "60.001"))
    assert "BR-DEC-23" in found and "60.001" in found["BR-DEC-23"]
    assert "BR-CO-10" in found


def test_unknown_currency_is_refused():
    assert "BR-CL-04" in _rules(_edit(CII, "InvoiceCurrencyCode", "EUX"))


@pytest.mark.parametrize(("content", "reason"), [
    (b"not xml at all", "not well-formed XML"),
    (b"<Order xmlns='urn:example'/>", "not an e-invoice"),
    (b"%PDF-1.4\n%%EOF", "PDF"),
])
def test_files_that_are_not_e_invoices_say_why(content, reason):
    with pytest.raises(EInvoiceError, match=reason):
        read_einvoice(content)
    outcome = assess(content, "0" * 64)
    assert outcome.status == "unreadable"
    assert reason in outcome.findings[0].message


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
           '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
           'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
           '<cbc:ID>&e;</cbc:ID></Invoice>').encode()
    invoice = read_einvoice(doc)
    assert invoice.number != "TOPSECRET"


def test_a_line_rate_without_a_vat_breakdown_is_reported():
    found = _rules(_edit(UBL, "InvoiceLine/Item/ClassifiedTaxCategory/Percent", "9"))
    assert "no VAT breakdown has that category and rate" in found["BR-S-08"]
    assert "S 9 % add up to 19.90" in found["BR-S-08"]
