"""A supplier invoice received as a file reaches QuickBooks, and so does its payment.

Posting a document of the store keeps its Bill as a canonical bill of the intake
connection, so ``ledgerbridge unified push`` sends it like any other bill and the
reconciliation of its bank debit queues the payment the outbox delivers (the QuickBooks
emulator over real HTTP).
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select, update
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.intake import IntakeStore
from ledgerbridge.intelligence.categorize.history import training_set
from ledgerbridge.ledger import Ledger
from ledgerbridge.mapping import load_rules
from ledgerbridge.sandbox.invoice_pdfs import random_invoices
from ledgerbridge.store.tables import connections, documents
from ledgerbridge.sync.audit import audit_trail
from ledgerbridge.sync.outbox import deliver_due
from ledgerbridge.unified.links import find_link
from tests.connectors.quickbooks.conftest import QuickBooks
from tests.connectors.quickbooks.conftest import connect as connect_qbo
from tests.unified.test_bill_payments import outbox_rows, pay_by_bank

runner = CliRunner()
# A US cleaning company's invoice without sales tax, printed as a PDF: USD 7,293.85.
SPEC = next(s for s in random_invoices(60, seed=11) if s.number == "INV-4963")


def _run(*args: str) -> str:
    done = runner.invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def _quickbooks(ledger: Ledger, qbo: QuickBooks) -> str:
    """QuickBooks connected as "books", the intake bill's 6900 and bank 1010 mapped."""
    connect_qbo(ledger.engine, qbo, "books", timeout_seconds=0.8)
    expense = qbo.save("Account", Name="Cleaning", AccountType="Expense")["Id"]
    checking = qbo.save("Account", Name="Checking", AccountType="Bank")["Id"]
    mapping = (f"version: 1\ntargets:\n  books:\n    accounts:\n"
               f"      \"6900\": \"{expense}\"\n      \"1010\": \"{checking}\"\n")
    with ledger.engine.begin() as conn:
        conn.execute(update(connections).where(connections.c.name == "books")
                     .values(mapping=mapping))
    return checking


def test_an_intake_bill_is_pushed_and_its_reconciled_debit_pays_it(ledger, db_url, qbo,
                                                                  tmp_path):
    checking = _quickbooks(ledger, qbo)
    (tmp_path / "maple.pdf").write_bytes(_pdf())
    _run("documents", "add", str(tmp_path / "maple.pdf"), "--db", db_url)
    _run("documents", "approve", "1", "--by", "clerk", "--db", db_url)
    _run("documents", "post", "1", "--by", "clerk", "--db", db_url)
    stored = IntakeStore(ledger).get(1)
    assert (stored.status, stored.posted_by) == ("posted", "clerk")
    assert _run("documents", "post", "1", "--by", "clerk", "--db", db_url)  # posts nothing new
    with ledger.engine.connect() as conn:
        (bill,) = conn.execute(select(documents).join(
            connections, connections.c.id == documents.c.connection_id).where(
            connections.c.name == "intake", connections.c.system == "intake")).all()
    assert (bill.type, bill.external_id, bill.entry_id) == ("bill", stored.sha256,
                                                            stored.entry_id)
    trail = audit_trail(ledger, stored.entry_id)
    assert (trail.document["id"], trail.raw["file_name"]) == (bill.id, "maple.pdf")
    assert trail.connection == {"name": "intake", "system": "intake"}

    pushed = json.loads(_run("unified", "push", "books", "--accept-gaps", "--db", db_url,
                             "-f", "json"))["rows"]
    assert ("bills", "created") in {(r["kind"], r["action"]) for r in pushed}
    with ledger.engine.connect() as conn:
        books = conn.execute(select(connections.c.id).where(
            connections.c.name == "books")).scalar_one()
        remote = find_link(conn, books, "bills", document_id=bill.id).remote_id
    found = qbo.company.records["Bill"][remote]
    assert (Decimal(str(found["TotalAmt"])), Decimal(str(found["Balance"]))) == (
        SPEC.total, SPEC.total)

    pay_by_bank(ledger, SPEC.number, f"{SPEC.total}", "Maple Cleaning")
    (queued,) = outbox_rows(ledger)
    assert queued.status == "pending"
    assert deliver_due(ledger.engine) == 1
    found = qbo.company.records["Bill"][remote]
    assert Decimal(str(found["Balance"])) == 0
    (payment,) = qbo.company.records["BillPayment"].values()
    assert payment["CheckPayment"]["BankAccountRef"]["value"] == checking
    assert [(Decimal(str(line["Amount"])), line["LinkedTxn"][0]) for line in payment["Line"]] == [
        (SPEC.total, {"TxnId": remote, "TxnType": "Bill"})]


def test_a_posted_intake_bill_teaches_the_categorization_history(ledger):
    store = IntakeStore(ledger)
    doc = store.add(_pdf(), "maple.pdf").document
    with ledger.engine.connect() as conn:
        assert training_set(conn, ledger).txns == ()
    store.approve(doc.id, "clerk")
    store.post(doc.id, load_rules(None), by="clerk")
    with ledger.engine.connect() as conn:
        learned = training_set(conn, ledger)
    assert set(learned.accounts) == {"6900"}
    assert set(learned.parties) == {SPEC.vendor}
    assert len(learned.txns) == len(SPEC.items)


def _pdf() -> bytes:
    from ledgerbridge.sandbox.invoice_pdfs import invoice_pdf  # noqa: PLC0415 - reportlab

    return invoice_pdf(SPEC)
