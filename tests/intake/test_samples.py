"""Every shared sample e-invoice parses and passes, or fails with the expected rules."""

from __future__ import annotations

import pytest
from lxml import etree

from ledgerbridge.intake import assess
from ledgerbridge.intake.einvoice.facturx import is_pdf
from ledgerbridge.money import Money
from tests.intake.samples import FLAGGED, sample, sample_files

FILES = sample_files()
pytestmark = pytest.mark.skipif(not FILES, reason="shared e-invoice samples are absent")


def _needs_facturx(name: str) -> None:
    if name.endswith(".pdf"):
        pytest.importorskip("facturx", reason="the factur-x package is not installed")


def _amount(content: bytes, *names: str) -> str:
    """The first amount element with one of ``names`` (any namespace), read independently."""
    root = etree.fromstring(content)
    test = " or ".join(f"local-name()='{n}'" for n in names)
    return root.xpath(f"string((//*[{test}])[1])").strip()


@pytest.mark.parametrize("name", FILES)
def test_each_sample_gives_its_expected_outcome(name):
    _needs_facturx(name)
    outcome = assess(sample(name), "0" * 64)
    assert {f.rule for f in outcome.findings} == FLAGGED.get(name, set())
    assert outcome.status == ("flagged" if name in FLAGGED else "ready")
    for finding in outcome.findings:
        assert finding.message


@pytest.mark.parametrize("name", [n for n in FILES if n not in FLAGGED and n.endswith(".xml")])
def test_ready_totals_agree_with_their_own_xml_to_the_cent(name):
    content = sample(name)
    bill = assess(content, "0" * 64).bill
    assert bill is not None
    sign = -1 if "CreditNote" in etree.fromstring(content).tag else 1
    cur = bill.currency
    grand = Money.parse(_amount(content, "GrandTotalAmount", "TaxInclusiveAmount"), cur)
    basis = Money.parse(_amount(content, "TaxBasisTotalAmount", "TaxExclusiveAmount"), cur)
    assert bill.total == Money(sign * grand.minor, cur)
    assert bill.subtotal == Money(sign * basis.minor, cur)
    assert bill.total - bill.subtotal == bill.tax_total
    assert sum(t.amount.minor for t in bill.tax_lines) == bill.tax_total.minor


def test_the_factur_x_pdf_gives_the_same_bill_as_its_xml():
    pytest.importorskip("facturx", reason="the factur-x package is not installed")
    pdf = sample("factur-x/invoice_EN16931.pdf")
    assert is_pdf(pdf)
    from_pdf = assess(pdf, "0" * 64)
    from_xml = assess(sample("factur-x/factur-x-en16931.xml"), "0" * 64)
    assert from_pdf.status == "ready"
    assert from_pdf.bill == from_xml.bill


def test_rounding_example_adds_up_to_exactly_zero():
    outcome = assess(sample("en16931/cii/CII-BR-CO-10-RoundingIssue.xml"), "0" * 64)
    assert outcome.status == "ready"
    invoice, bill = outcome.invoice, outcome.bill
    assert [str(line.net_amount) for line in invoice.lines] == ["720.81", "0.01", "-720.81",
                                                                "-0.01"]
    assert bill.total == Money(0, "EUR")
    assert [line.amount.minor for line in bill.lines] == [72081, 1, -72081, -1]


def test_bis3_negative_amounts_invoice_is_valid_and_books_as_a_reversal():
    positive = assess(sample("en16931/ubl/BIS3_Invoice_positive.XML"), "0" * 64).bill
    negative = assess(sample("en16931/ubl/BIS3_Invoice_negativ.XML"), "0" * 64).bill
    assert positive.total == Money(78217943, "DKK")
    assert negative.total == -positive.total
    assert negative.tax_total == -positive.tax_total


def test_ubl_credit_note_becomes_a_negated_bill():
    outcome = assess(sample("en16931/ubl/ubl-tc434-creditnote1.xml"), "0" * 64)
    assert outcome.invoice.credit
    assert outcome.bill.total == Money(-10011, "EUR")
    assert "credit note" in outcome.bill.memo


def test_seller_buyer_and_payment_terms_are_read():
    invoice = assess(sample("factur-x/zugferd-comfort.xml"), "0" * 64).invoice
    assert invoice.syntax == "cii-zugferd1"
    assert (invoice.seller.name, invoice.seller.vat_id, invoice.seller.city) == (
        "Lieferant GmbH", "DE123456789", "München")
    assert invoice.buyer.name == "Kunden AG Mitte"
    assert invoice.ibans == ("DE08700901001234567890",)
    assert str(invoice.due_date) == "2013-04-04"
    assert [(str(v.rate), str(v.basis), str(v.amount)) for v in invoice.vat] == [
        ("7.00", "275.00", "19.25"), ("19.00", "198.00", "37.62")]
