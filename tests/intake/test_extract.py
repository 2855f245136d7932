"""Text PDFs and scans read by layout, with no template per vendor."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.intake.einvoice import read_einvoice
from ledgerbridge.intake.extract import REQUIRED, REVIEW_BELOW, NoText, extract
from ledgerbridge.intake.extract.values import amounts_in, dates_in, ibans_in, parse_amount
from ledgerbridge.sandbox.invoice_pdfs import LOCALES, _date, _money, invoice_pdf, random_invoices
from tests.conftest import SHARED

FACTURX_PDF = SHARED / "specs" / "einvoice" / "factur-x" / "invoice_EN16931.pdf"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract OCR is not installed (make system-deps)")


@given(st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"),
                   places=2), st.sampled_from(sorted(LOCALES)))
def test_an_amount_printed_in_any_locale_reads_back_exactly(value, locale):
    assert parse_amount(_money(value, LOCALES[locale])) == value


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(sorted(LOCALES)))
def test_a_date_printed_in_any_locale_reads_back(date, locale):
    us = locale == "en_US"
    assert dates_in(_date(date, LOCALES[locale]), day_first=not us) == [date]


@pytest.mark.parametrize(("text", "expected"), [
    ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("1 234,56", "1234.56"),
    ("1'234.50", "1234.50"), ("(12.00)", "-12.00"), ("12.00-", "-12.00"), ("12,5", "12.5"),
])
def test_amount_conventions(text, expected):
    assert parse_amount(text) == Decimal(expected)


def test_written_dates_in_several_languages():
    text = "5. März 2026 / 5 mars 2026 / March 5, 2026 / 5 de marzo de 2026 / 2026-03-05"
    assert dates_in(text) == [dt.date(2026, 3, 5)] * 5


def test_percentages_are_not_amounts_and_ibans_are_checked():
    assert amounts_in("VAT 19% 19,00") == [Decimal("19.00")]
    assert ibans_in("IBAN DE89 3704 0044 0532 0130 00 BIC X") == ["DE89370400440532013000"]
    assert ibans_in("IBAN DE89 3704 0044 0532 0130 01") == []


def test_every_field_of_varied_invoices_is_read_right_and_confidently():
    """Six languages, three layouts, multi-rate VAT, long invoices, credit notes."""
    for spec in random_invoices(18, seed=3):
        found = extract(invoice_pdf(spec))
        for name, expected in spec.truth().items():
            field = found.fields.get(name)
            assert field is not None, f"{spec.locale}/{spec.layout}: {name} not read"
            assert field.value == expected, f"{spec.locale}/{spec.layout}: {name}"
            if name in REQUIRED:
                assert field.confidence >= REVIEW_BELOW, f"{spec.locale}/{spec.layout}: {name}"
        assert found.credit == spec.credit
        assert [item.amount for item in found.items] == [item.amount for item in spec.items]


def test_the_real_facturx_pdf_read_as_text_agrees_with_its_embedded_xml():
    content = FACTURX_PDF.read_bytes()
    xml = read_einvoice(content)
    found = extract(content)
    assert found.value("number") == xml.number
    assert found.value("issue_date") == xml.issue_date
    assert found.value("due_date") == xml.due_date
    assert found.value("currency") == xml.currency
    assert found.value("vendor_tax_id") == xml.seller.vat_id
    assert found.value("order") == xml.order_reference
    assert found.value("iban") == xml.ibans[0].replace(" ", "")
    assert (found.value("net"), found.value("tax_total"), found.value("total")) == (
        xml.totals.tax_basis, xml.totals.tax_total, xml.totals.grand_total)


def test_a_file_with_nothing_to_read_says_so():
    with pytest.raises(NoText, match="not an image"):
        extract(b"GIF89a broken")


@needs_tesseract
def test_a_scanned_invoice_is_read_by_ocr():
    import pdfplumber

    spec = next(s for s in random_invoices(6, seed=5) if len(s.items) <= 5)
    with pdfplumber.open(io.BytesIO(invoice_pdf(spec))) as pdf:
        image = pdf.pages[0].to_image(resolution=200).original
    scan = io.BytesIO()
    image.save(scan, format="PNG")
    found = extract(scan.getvalue())
    truth = spec.truth()
    for name in ("number", "issue_date", "currency", "total"):
        assert found.value(name) == truth[name], name
