"""Text PDFs in the document store: read, reviewed, corrected, learned, posted."""

from __future__ import annotations

import io
import json

import pytest
from reportlab.pdfgen.canvas import Canvas
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.intake import IntakeError, IntakeStore
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.mapping import load_rules
from ledgerbridge.sandbox.invoice_pdfs import invoice_pdf, random_invoices
from ledgerbridge.sync.audit import audit_trail
from tests.intake.samples import approve_and_post

RULES = load_rules("accounts: {recoverable_tax: '2200'}\n")
runner = CliRunner()


@pytest.fixture
def store(engine) -> IntakeStore:
    return IntakeStore(Ledger.create(engine, name="Test GmbH", currency="EUR",
                                     chart=standard_chart()))


def _german(count: int = 2):
    specs = [s for s in random_invoices(40, seed=11) if s.locale == "de_DE" and not s.credit]
    return specs[:count]


def test_a_text_pdf_is_read_checked_and_posted(store):
    spec = _german(1)[0]
    doc = store.add(invoice_pdf(spec), "rechnung.pdf").document
    assert (doc.status, doc.format, doc.number) == ("ready", "pdf-text", spec.number)
    assert doc.bill.total.decimal == spec.total
    assert json.loads(doc.fields)["vendor_tax_id"]["value"] == spec.vendor_tax_id
    entry_id = approve_and_post(store, doc.id, RULES)
    lines = store.ledger.entry(entry_id).lines
    assert sum(line.amount.minor for line in lines if line.amount.minor > 0) == int(
        spec.total * 100)
    trail = audit_trail(store.ledger, entry_id)
    assert (trail.raw["file_name"], trail.raw["sha256"]) == ("rechnung.pdf", doc.sha256)
    assert trail.raw["data"]["number"] == spec.number
    assert (trail.document["type"], trail.document["external_id"]) == ("bill", doc.sha256)


def test_a_pdf_without_any_text_is_unreadable_with_the_reason(store):
    blank = io.BytesIO()
    Canvas(blank).showPage()
    canvas = Canvas(blank)
    canvas.showPage()
    canvas.save()
    doc = store.add(blank.getvalue(), "blank.pdf").document
    assert doc.status == "unreadable"
    assert doc.findings[0].rule == "READ"


def test_a_correction_is_learned_for_the_vendors_next_invoice(store):
    """A vendor printing its own label for the number: corrected once, read next time."""
    first, second = _german(2)
    second = type(second)(**{**{f: getattr(second, f) for f in second.__slots__},
                             "vendor": first.vendor, "vendor_tax_id": first.vendor_tax_id,
                             "iban": first.iban})
    relabel = {"number": "Vorgang"}
    doc = store.add(invoice_pdf(first, relabel=relabel), "a.pdf").document
    assert doc.status == "flagged"
    assert any(f.rule == "LB-10" and f.message.startswith("number") for f in doc.findings)

    fixed = store.correct(doc.id, {"number": first.number})
    assert (fixed.status, fixed.number) == ("ready", first.number)
    assert fixed.corrections == {"number": first.number}

    later = store.add(invoice_pdf(second, relabel=relabel), "b.pdf").document
    assert (later.status, later.number) == ("ready", second.number)
    assert json.loads(later.fields)["number"]["confidence"] >= 0.8


def test_corrections_are_checked_and_posted_documents_refused(store):
    doc = store.add(invoice_pdf(_german(1)[0]), "r.pdf").document
    with pytest.raises(IntakeError, match="issue_date: 'yesterday' is not a date"):
        store.correct(doc.id, {"issue_date": "yesterday"})
    with pytest.raises(IntakeError, match="no field 'colour'"):
        store.correct(doc.id, {"colour": "red"})
    approve_and_post(store, doc.id, RULES)
    with pytest.raises(IntakeError, match="is posted"):
        store.correct(doc.id, {"number": "X"})


def test_cli_shows_fields_and_takes_corrections(tmp_path, db_url):
    path = tmp_path / "r.pdf"
    spec = _german(1)[0]
    path.write_bytes(invoice_pdf(spec, relabel={"number": "Vorgang"}))
    env = {"LEDGERBRIDGE_DB": db_url}
    assert runner.invoke(app, ["init", "--name", "T", "--currency", "EUR"], env=env
                         ).exit_code == 0
    assert runner.invoke(app, ["documents", "add", str(path)], env=env).exit_code == 0
    shown = runner.invoke(app, ["documents", "show", "1"], env=env)
    assert "Fields read" in shown.output and spec.vendor_tax_id in shown.output
    bad = runner.invoke(app, ["documents", "correct", "1", "number"], env=env)
    assert bad.exit_code != 0 and "FIELD=VALUE" in bad.output
    good = runner.invoke(app, ["documents", "correct", "1", f"number={spec.number}"], env=env)
    assert good.exit_code == 0 and "ready" in good.output
