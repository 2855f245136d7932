"""The document store on SQLite and PostgreSQL: files kept once, flagged ones never posted."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.intake import IntakeError, IntakeStore
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.mapping import load_rules
from ledgerbridge.store.tables import intake_documents
from tests.intake.samples import approve_and_post, sample

COMFORT = "factur-x/zugferd-comfort.xml"  # two VAT rates, 7 % and 19 %
RULES = load_rules("accounts: {recoverable_tax: '2200'}\n")
runner = CliRunner()


@pytest.fixture
def eur_ledger(engine) -> Ledger:
    """A EUR ledger with the standard chart."""
    return Ledger.create(engine, name="Test GmbH", currency="EUR", chart=standard_chart())


def test_same_file_twice_is_one_document(eur_ledger):
    store = IntakeStore(eur_ledger)
    content = sample(COMFORT)
    first = store.add(content, "a.xml")
    again = store.add(content, "copy-of-a.xml")
    assert first.new and not again.new
    assert again.document.id == first.document.id
    doc = store.get(first.document.id)
    assert (doc.file_name, doc.media_type, doc.size) == ("a.xml", "application/xml",
                                                         len(content))
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert (doc.status, doc.format, doc.number, doc.seller) == (
        "ready", "cii-zugferd1", "471102", "Lieferant GmbH")
    assert doc.added_at is not None
    assert store.content(doc.id) == content
    assert len(store.list()) == 1


def test_posted_bill_balances_with_tax_per_rate(eur_ledger):
    store = IntakeStore(eur_ledger)
    doc = store.add(sample(COMFORT), "comfort.xml").document
    entry_id = approve_and_post(store, doc.id, RULES)
    entry = eur_ledger.entry(entry_id)
    lines = {(ln.account, ln.memo): ln.amount.minor for ln in entry.lines}
    assert sum(lines.values()) == 0
    assert lines[("2200", "Tax DE-S-7")] == 1925
    assert lines[("2200", "Tax DE-S-19")] == 3762
    assert lines[("2010", "Payable")] == -52987
    assert sum(v for (account, _), v in lines.items() if account == "6900") == 47300
    assert store.post(doc.id, RULES, by="clerk") == entry_id  # posting again changes nothing
    posted = store.get(doc.id)
    assert (posted.status, posted.entry_id) == ("posted", entry_id)


def test_credit_note_posts_the_reverse(eur_ledger):
    store = IntakeStore(eur_ledger)
    doc = store.add(sample("en16931/ubl/ubl-tc434-creditnote1.xml"), "cn.xml").document
    entry = eur_ledger.entry(approve_and_post(store, doc.id, RULES))
    payable = [ln.amount.minor for ln in entry.lines if ln.account == "2010"]
    assert payable == [10011]
    assert sum(ln.amount.minor for ln in entry.lines) == 0


def test_flagged_and_unreadable_documents_are_stored_but_never_posted(eur_ledger):
    store = IntakeStore(eur_ledger)
    flagged = store.add(sample("factur-x/factur-x-minimum.xml"), "min.xml").document
    unreadable = store.add(b"%PDF-1.4 scanned", "scan.pdf").document
    assert flagged.status == "flagged"
    assert {f.rule for f in flagged.findings} == {"BR-12", "BR-16", "BR-CO-18"}
    assert (unreadable.status, unreadable.media_type) == ("unreadable", "application/pdf")
    for doc in (flagged, unreadable):
        with pytest.raises(IntakeError, match="not posted"):
            store.post(doc.id, RULES, by="clerk")
    assert store.get(flagged.id).entry_id is None


def test_foreign_currency_bill_needs_a_rate(eur_ledger):
    store = IntakeStore(eur_ledger)
    doc = store.add(sample("en16931/ubl/ubl-tc434-example7.xml"), "sek.xml").document
    with pytest.raises(Exception, match="exchange_rate"):
        approve_and_post(store, doc.id, RULES)
    assert store.get(doc.id).status == "approved"


def test_cli_add_list_show_post_and_watch(eur_ledger, db_url, tmp_path):
    comfort = tmp_path / "drop" / "comfort.xml"
    comfort.parent.mkdir()
    comfort.write_bytes(sample(COMFORT))
    minimum = tmp_path / "minimum.xml"
    minimum.write_bytes(sample("factur-x/factur-x-minimum.xml"))
    db = ["--db", db_url]
    added = runner.invoke(app, ["documents", "add", str(comfort), str(minimum), *db])
    assert added.exit_code == 0, added.output
    assert "ready" in added.output and "flagged" in added.output
    again = runner.invoke(app, ["documents", "add", str(comfort), *db])
    assert "already stored as document 1" in again.output
    listed = runner.invoke(app, ["documents", "list", "--status", "flagged", *db])
    assert "minimum.xml" in listed.output and "comfort.xml" not in listed.output
    shown = runner.invoke(app, ["documents", "show", "2", *db])
    assert "BR-16" in shown.output and "no lines" in shown.output
    refused = runner.invoke(app, ["documents", "post", "2", *db])
    assert refused.exit_code == 1 and "BR-16" in refused.output
    posted = runner.invoke(app, ["documents", "post", "--ready", *db])
    assert posted.exit_code == 0 and "document 1 posted as entry" in posted.output
    watched = runner.invoke(app, ["documents", "watch", str(comfort.parent), "--once", *db])
    assert watched.exit_code == 0 and watched.output == ""  # already stored
    (comfort.parent / "cn.xml").write_bytes(sample("en16931/ubl/ubl-tc434-creditnote1.xml"))
    watched = runner.invoke(app, ["documents", "watch", str(comfort.parent), "--once", *db])
    assert "cn.xml: document 3 ready" in watched.output


def test_the_same_invoice_in_another_file_is_flagged_as_a_duplicate(eur_ledger):
    store = IntakeStore(eur_ledger)
    xml = store.add(sample("factur-x/factur-x-en16931.xml"), "F20260023.xml").document
    pdf = store.add(sample("factur-x/factur-x-extended.xml"), "F20260023-ext.xml").document
    assert xml.status == "ready"
    assert pdf.status == "flagged"
    assert [f.rule for f in pdf.findings] == ["LB-03"]
    assert f"already document {xml.id} (F20260023.xml, ready)" in pdf.findings[0].message
    with pytest.raises(IntakeError, match="LB-03"):
        store.approve(pdf.id, "clerk")
    # A supplier that reuses a number (the negative-amount BIS 3 sample does) can be posted.
    positive = store.add(sample("en16931/ubl/BIS3_Invoice_positive.XML"), "p.xml").document
    negative = store.add(sample("en16931/ubl/BIS3_Invoice_negativ.XML"), "n.xml").document
    assert [f.rule for f in negative.findings] == ["LB-03"]
    first = approve_and_post(store, positive.id, RULES, exchange_rate=Decimal("0.134"))
    second = approve_and_post(store, negative.id, RULES, exchange_rate=Decimal("0.134"),
                              allow_duplicate=True)
    total = sum(ln.amount.minor for e in (first, second) for ln in eur_ledger.entry(e).lines
                if ln.account == "2010")
    assert total == 0


def test_stored_bytes_cannot_be_changed_even_in_sql(eur_ledger):
    store = IntakeStore(eur_ledger)
    doc = store.add(sample(COMFORT), "comfort.xml").document
    with pytest.raises(DBAPIError, match="never changed"), eur_ledger.engine.begin() as conn:
        conn.execute(update(intake_documents).where(intake_documents.c.id == doc.id)
                     .values(content=b"<forged/>"))
    assert store.content(doc.id) == sample(COMFORT)
