import datetime as dt
import itertools

import pytest
from sqlalchemy import insert, select

from ledgerbridge.documents import parse_document
from ledgerbridge.intelligence.anomalies import (
    FlagKind,
    FlagStatus,
    check,
    dismiss,
    list_flags,
    scan,
    screen_document,
)
from ledgerbridge.ledger import LedgerError
from ledgerbridge.store.tables import accounts, anomaly_outflows, bank_lines
from ledgerbridge.sync.connections import add_connection
from tests.sync.conftest import SECRET
from tests.sync.samples import invoice
from tests.sync.test_worker import deliver, work


def bill(external_id, number="INV-7", amount="1200.00", vendor="Acme Corp", day="2026-03-02"):
    return {"type": "bill", "source": {"connection": "erp", "object_type": "bill",
                                       "external_id": external_id},
            "vendor": {"external_id": vendor.lower(), "name": vendor}, "number": number,
            "issue_date": day, "currency": "USD", "lines": [{"amount": amount}]}


@pytest.fixture
def erp(ledger):
    return add_connection(ledger.engine, "erp", "webhook", settings={"secret": SECRET})


def flags(ledger, **kw):
    with ledger.engine.connect() as conn:
        return list_flags(conn, ledger.entity.id, **kw)


_keys = itertools.count(1)


def add_debits(ledger, *rows):
    with ledger.engine.begin() as conn:
        bank = conn.execute(select(accounts.c.id).where(accounts.c.code == "1010")).scalar_one()
        conn.execute(insert(bank_lines), [{
            "entity_id": ledger.entity.id, "account_id": bank, "dedupe_key": f"debit-{next(_keys)}",
            "occurrence": 1, "booking_date": day, "amount": -amount, "currency": "USD",
            "counterparty": name, "pending": False, "status": "unreconciled"}
            for day, amount, name in rows])


def test_screening_a_document_indexes_it_and_flags_what_involves_it(ledger):
    with ledger.engine.begin() as conn:
        assert screen_document(conn, ledger.entity.id, parse_document(bill("b-1"))) == []
        assert screen_document(conn, ledger.entity.id, parse_document(invoice())) == []
        (flag,) = screen_document(conn, ledger.entity.id,
                                  parse_document(bill("b-2", day="2026-03-09")))
        indexed = set(conn.execute(select(anomaly_outflows.c.key)).scalars())
    assert flag.kind is FlagKind.DUPLICATE_BILL
    assert set(flag.records) == indexed == {"bill:erp/b-1", "bill:erp/b-2"}
    assert [f.reason for f in flags(ledger)] == [flag.reason]


def test_the_sync_engine_screens_what_it_applies_one_by_one(ledger, erp):
    # A new version goes through apply_document.
    for external_id in ("b-1", "b-2"):
        deliver(ledger, erp, bill(external_id, amount="1100.00"))
        deliver(ledger, erp, {**bill(external_id), "source": {
            "connection": "erp", "object_type": "bill", "external_id": external_id,
            "version": "2"}})
        work(ledger)
    (flag,) = flags(ledger)
    assert flag.kind == FlagKind.DUPLICATE_BILL
    assert set(flag.records) == {"bill:erp/b-1", "bill:erp/b-2"}


def test_the_sync_engine_screens_new_bills_applied_in_bulk(ledger, erp):
    deliver(ledger, erp, bill("b-1"))
    deliver(ledger, erp, bill("b-2", day="2026-03-05"))
    deliver(ledger, erp, invoice())
    work(ledger)
    (flag,) = flags(ledger)
    assert flag.kind == FlagKind.DUPLICATE_BILL
    assert set(flag.records) == {"bill:erp/b-1", "bill:erp/b-2"}


def test_a_void_takes_the_bill_out_of_the_index(ledger, erp):
    def version(number, **changes):
        return {**bill("b-1"), **changes, "source": {
            "connection": "erp", "object_type": "bill", "external_id": "b-1",
            "version": number}}

    deliver(ledger, erp, version("1", lines=[{"amount": "900.00"}]))
    deliver(ledger, erp, version("2"))
    work(ledger)
    with ledger.engine.connect() as conn:
        assert conn.execute(select(anomaly_outflows.c.amount)).scalars().all() == [120_000]
    deliver(ledger, erp, version("3", status="void"))
    work(ledger)
    with ledger.engine.connect() as conn:
        assert conn.execute(select(anomaly_outflows.c.key)).all() == []


def test_scan_finds_duplicates_across_bank_debits_and_a_dismissal_is_remembered(ledger):
    day = dt.date(2026, 3, 2)
    add_debits(ledger, (day, 48_000, "ACME CORP"), (day + dt.timedelta(days=2), 48_000, "Acme"),
               (day + dt.timedelta(days=30), 48_000, "ACME CORP"))
    result = scan(ledger)
    assert (result.outflows, result.flags, result.new) == (3, 1, 1)
    (flag,) = flags(ledger, status=FlagStatus.OPEN)
    assert "twice in 2 days" in flag.reason and flag.score >= 0.8
    assert [f.id for f in check(ledger)] == [flag.id]
    with ledger.engine.begin() as conn:
        assert dismiss(conn, ledger.entity.id, flag.id, "ana").dismissed_by == "ana"
    assert scan(ledger).new == 0
    assert check(ledger) == []
    assert [f.status for f in flags(ledger)] == [FlagStatus.DISMISSED]


def test_dismissing_an_unknown_or_dismissed_flag_is_refused(ledger):
    with ledger.engine.begin() as conn, pytest.raises(LedgerError, match="no anomaly flag 9"):
        dismiss(conn, ledger.entity.id, 9, "ana")
    add_debits(ledger, (dt.date(2026, 3, 2), 500, "Acme"), (dt.date(2026, 3, 2), 500, "Acme"))
    scan(ledger)
    (flag,) = flags(ledger)
    with ledger.engine.begin() as conn:
        dismiss(conn, ledger.entity.id, flag.id, "ana")
    with ledger.engine.begin() as conn, pytest.raises(LedgerError, match="already dismissed"):
        dismiss(conn, ledger.entity.id, flag.id, "bo")
