"""Posting a received document keeps its Bill as a canonical bill of the intake connection."""

from __future__ import annotations

import itertools
from decimal import Decimal

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledgerbridge.api import create_app
from ledgerbridge.intake import IntakeStore
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.mapping import load_rules
from ledgerbridge.store.tables import documents, journal_entries
from ledgerbridge.sync.connections import get_connection
from tests.intake.ubl_writer import SimpleLine, write_ubl

RULES = load_rules(None)
_numbers = itertools.count(1)


def _invoice(cents: int) -> bytes:
    return write_ubl(f"C-{next(_numbers)}", [SimpleLine("Paper", Decimal(1), cents, Decimal(25))])


def _counts(ledger: Ledger, sha256: str) -> tuple[int, int]:
    with ledger.engine.connect() as conn:
        bills = conn.execute(select(func.count()).select_from(documents).where(
            documents.c.external_id == sha256)).scalar_one()
        entries = conn.execute(select(func.count()).select_from(journal_entries).where(
            journal_entries.c.external_id == sha256)).scalar_one()
    return bills, entries


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.integers(1, 10**9), posts=st.integers(1, 4))
def test_posting_again_returns_the_same_entry_and_one_bill(engine, cents, posts):
    # one database for all examples: each its own entity, so no invoice is another's repeat
    code = f"e{next(_numbers)}"
    ledger = Ledger.create(engine, entity=code, name="Kunde GmbH", currency="EUR",
                           chart=standard_chart())
    store = IntakeStore(ledger)
    doc = store.add(_invoice(cents), "c.xml").document
    store.approve(doc.id, "alice")
    entries = {store.post(doc.id, RULES, by="bob") for _ in range(posts)}
    assert len(entries) == 1
    assert _counts(ledger, doc.sha256) == (1, 1)
    lineage = ledger.entry(entries.pop()).lineage
    assert lineage.connection == f"intake-{code}" and lineage.document_id is not None


def test_the_intake_connection_is_never_polled_and_takes_no_webhooks(engine):
    store = IntakeStore(Ledger.create(engine, name="Kunde GmbH", currency="EUR",
                                      chart=standard_chart()))
    doc = store.add(_invoice(5000), "c.xml").document
    store.approve(doc.id, "alice")
    store.post(doc.id, RULES, by="bob")
    with engine.connect() as conn:
        record = get_connection(conn, "intake")
    assert (record.system, record.poll_interval, record.enabled) == ("intake", None, True)
    assert record.connector().streams == ()
    with TestClient(create_app(engine)) as client:
        refused = client.post("/webhooks/intake", content=b"{}")
    assert refused.status_code == 422
    assert "does not accept webhooks" in refused.json()["error"]
