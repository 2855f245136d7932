"""Laid-out words kept by file hash: a correction reads them again instead of the file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from ledgerbridge.intake import IntakeStore
from ledgerbridge.intake.extract import pages_of
from ledgerbridge.intake.extract.layout import Cell, Line, Page
from ledgerbridge.intake.layouts import pages_from_json, pages_json
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.sandbox.invoice_pdfs import invoice_pdf, random_invoices
from ledgerbridge.store.tables import document_layouts
from tests.intake.ubl_writer import SimpleLine, write_ubl

_coord = st.floats(min_value=0, max_value=2000, allow_nan=False)
_cells = st.builds(Cell, st.text(max_size=12), _coord, _coord, _coord, _coord)
_lines = st.builds(Line, st.tuples(_cells, _cells), _coord, st.integers(1, 9))
_pages = st.lists(st.builds(Page, st.integers(1, 9), _coord, st.tuples(_lines)), max_size=3)


@given(_pages)
def test_pages_come_back_from_json_as_they_were(pages):
    assert pages_from_json(pages_json(pages)) == pages


@pytest.fixture
def store(engine) -> IntakeStore:
    return IntakeStore(Ledger.create(engine, name="Test GmbH", currency="EUR",
                                     chart=standard_chart()))


def _stored_pages(store: IntakeStore, sha256: str) -> str | None:
    with store.ledger.engine.connect() as conn:
        return conn.execute(select(document_layouts.c.pages).where(
            document_layouts.c.sha256 == sha256)).scalar()


def test_adding_a_text_pdf_keeps_its_words_and_a_correction_reads_them(store):
    first, second = [s for s in random_invoices(40, seed=11) if not s.credit][:2]
    content = invoice_pdf(first)
    doc = store.add(content, "a.pdf").document
    assert pages_from_json(_stored_pages(store, doc.sha256)) == pages_of(content)

    # The stored words are what a correction reads: put another invoice's words there.
    with store.ledger.engine.begin() as conn:
        conn.execute(update(document_layouts).where(document_layouts.c.sha256 == doc.sha256)
                     .values(pages=pages_json(pages_of(invoice_pdf(second)))))
    corrected = store.correct(doc.id, {"due_date": "2030-01-31"})
    assert corrected.number == second.number != first.number


def test_a_structured_e_invoice_keeps_no_words(store):
    doc = store.add(write_ubl("X-1", [SimpleLine("Paper", Decimal(1), 100, Decimal(0))]),
                    "x.xml").document
    assert _stored_pages(store, doc.sha256) is None
