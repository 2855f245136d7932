"""Approval waits for the anomaly checks: a bill they flag high is held until dismissed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from ledgerbridge.api import create_app
from ledgerbridge.intake import IntakeError, IntakeStore
from ledgerbridge.intelligence.anomalies import FlagKind, FlagStatus, dismiss, list_flags
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.mapping import load_rules
from ledgerbridge.store.tables import dashboard_users, documents
from ledgerbridge.web.users import create_token
from tests.intake.samples import approve_and_post
from tests.intake.ubl_writer import SimpleLine, write_ubl

RULES = load_rules(None)
USUAL_IBAN = "DK5000400440116243"
NEW_IBAN = "GB82WEST12345698765432"


@pytest.fixture
def store(engine) -> IntakeStore:
    return IntakeStore(Ledger.create(engine, name="Kunde GmbH", currency="EUR",
                                     chart=standard_chart()))


def invoice(number: str, cents: int, day: dt.date, iban: str = USUAL_IBAN) -> bytes:
    """A UBL invoice of Leverandør A/S for ``cents`` (no VAT) of ``day``, paid to ``iban``."""
    payment = (f"<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>"
               f"<cac:PayeeFinancialAccount><cbc:ID>{iban}</cbc:ID></cac:PayeeFinancialAccount>"
               "</cac:PaymentMeans><cac:TaxTotal>")
    return (write_ubl(number, [SimpleLine("Cleaning", Decimal(1), cents, Decimal(0))])
            .replace(b"2026-01-31", day.isoformat().encode())
            .replace(b"<cac:TaxTotal>", payment.encode(), 1))


def history(store: IntakeStore, bills: int = 7) -> None:
    """The vendor's usual bills, about EUR 1,000 a week apart, approved and posted."""
    for n in range(bills):
        doc = store.add(invoice(f"H-{n}", 100_000 + 500 * n,
                                dt.date(2026, 1, 2) + dt.timedelta(7 * n)), f"h{n}.xml")
        approve_and_post(store, doc.document.id, RULES)


def open_flags(store: IntakeStore) -> list:
    with store.ledger.engine.connect() as conn:
        return list_flags(conn, store.entity_id, status=FlagStatus.OPEN)


def test_a_bill_twice_the_usual_to_a_new_account_is_held_until_dismissed(store):
    history(store)
    big = store.add(invoice("B-1", 203_000, dt.date(2026, 3, 1), NEW_IBAN), "big.xml").document
    # held by its amount: a bill's IBAN is no outflow account (changes are judged on payments)
    assert big.status == "ready"  # nothing wrong with the file itself
    for allow_duplicate in (False, True):  # a duplicate's review does not clear it
        with pytest.raises(IntakeError) as held:
            store.approve(big.id, "alice", allow_duplicate=allow_duplicate)
        assert store.get(big.id).status == "ready"
    (flag,) = [f for f in open_flags(store) if f"bill:intake/{big.sha256}" in f.records]
    assert flag.kind == FlagKind.UNUSUAL_AMOUNT and flag.score >= 0.8
    message = str(held.value)
    assert f"document {big.id} is held by anomaly flags, not approved" in message
    assert f"flag {flag.id} (unusual_amount, score {flag.score:.2f}): {flag.reason}" in message
    assert "ledgerbridge anomalies dismiss ID" in message
    with store.ledger.engine.begin() as conn:
        dismiss(conn, store.entity_id, flag.id, "alice")
    assert store.approve(big.id, "alice").status == "approved"
    entry_id = store.post(big.id, RULES, by="bob")
    assert store.post(big.id, RULES, by="bob") == entry_id  # once
    with store.ledger.engine.connect() as conn:
        posted = conn.execute(select(documents.c.entry_id).where(
            documents.c.external_id == big.sha256)).scalars().all()
    assert posted == [entry_id]
    assert [f.id for f in open_flags(store) if f.id == flag.id] == []  # stays dismissed


def test_a_usual_bill_is_approved_with_no_flag(store):
    history(store)
    usual = store.add(invoice("U-1", 101_200, dt.date(2026, 3, 1)), "usual.xml").document
    assert store.approve(usual.id, "alice").status == "approved"
    assert [f for f in open_flags(store)
            if any(r.endswith(usual.sha256) for r in f.records)] == []


def test_a_reviewed_duplicate_passes_its_duplicate_flag(store):
    first = store.add(invoice("D-1", 100_000, dt.date(2026, 1, 5)), "d1.xml").document
    approve_and_post(store, first.id, RULES)
    again = store.add(invoice("D-1", 100_100, dt.date(2026, 1, 6)), "d1-again.xml").document
    assert again.status == "flagged"  # LB-03: the same supplier and number
    with pytest.raises(IntakeError, match="is flagged, not approved"):
        store.approve(again.id, "alice")
    assert store.approve(again.id, "alice", allow_duplicate=True).status == "approved"
    kinds = {f.kind for f in open_flags(store)
             if f"bill:intake/{again.sha256}" in f.records}
    assert kinds == {FlagKind.DUPLICATE_BILL}


def test_the_api_answers_a_held_approval_with_409_and_its_reasons(store):
    history(store)
    big = store.add(invoice("B-1", 203_000, dt.date(2026, 3, 1)), "big.xml").document
    engine = store.ledger.engine
    with engine.begin() as conn:
        conn.execute(insert(dashboard_users).values(name="ann", password_hash="!",
                                                    role="accountant"))
    with TestClient(create_app(engine)) as client:
        client.headers["authorization"] = f"Bearer {create_token(engine, 'ann')}"
        held = client.post(f"/api/documents/{big.id}/approve")
        assert held.status_code == 409, held.text
        assert held.headers["content-type"] == "application/problem+json"
        assert "held by anomaly flags" in held.json()["detail"]
        assert "unusual_amount" in held.json()["detail"]
        assert client.post("/api/documents/999/approve").status_code == 404
        (flag,) = [f for f in open_flags(store) if f"bill:intake/{big.sha256}" in f.records]
        with engine.begin() as conn:
            dismiss(conn, store.entity_id, flag.id, "ann")
        done = client.post(f"/api/documents/{big.id}/approve")
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["approved_by"]) == ("approved", "ann")
