"""Shadow mode and cutover: the live book untouched, then each shadow entry promoted once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ledgerbridge.cli.pilot import pilot_app
from ledgerbridge.ledger import Entry, Ledger, LedgerError, Line, Lineage, reports
from ledgerbridge.money import Money
from ledgerbridge.pilot import Existing, cutover, start_pilot
from ledgerbridge.store.tables import (
    bank_lines,
    connections,
    documents,
    journal_entries,
    journal_lines,
    outbox,
    pilot_promotions,
    reconciliation_links,
)
from tests.pilot.books import WRITEBACKS, company_connection, piloted, run_company

runner = CliRunner()


def _entries(ledger: Ledger) -> list:
    with ledger.engine.connect() as conn:
        return conn.execute(select(journal_entries.c.id, journal_entries.c.idempotency_key,
                                   journal_entries.c.connection, journal_entries.c.external_id)
                            .where(journal_entries.c.entity_id == ledger.entity.id)
                            .order_by(journal_entries.c.id)).all()


def _balances(ledger: Ledger) -> dict[str, tuple]:
    return {row["account"]: (row["debit"], row["credit"])
            for row in reports.trial_balance(ledger).rows}


def test_shadow_mode_leaves_the_live_book_alone_and_sends_no_writebacks(shadow_book):
    _, shadow = shadow_book
    assert _entries(Ledger(shadow.engine, "default")) == []
    assert len(_entries(shadow)) > 60
    with shadow.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 0
        mapping = conn.execute(select(connections.c.mapping)).scalar()
    assert "writeback" not in (mapping or "")


def test_the_same_company_live_queues_writebacks(sqlite_ledger):
    company_connection(sqlite_ledger)
    run_company(sqlite_ledger)
    with sqlite_ledger.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() > 0


def test_cutover_promotes_each_entry_exactly_once_and_is_recorded(ledger, db_url):
    pilot, shadow = piloted(ledger)
    before = _entries(shadow)
    result = runner.invoke(pilot_app, ["cutover", "--yes", "--by", "sam", "--db", db_url])
    assert result.exit_code == 0, result.output
    live = _entries(ledger)
    assert len(live) == len(before)
    # Same keys (an entry without one, such as a reconciliation's, gets the pilot's own).
    assert [(k, c, x) for _, k, c, x in live] == [
        (k or f"pilot-{pilot.id}:{i}", c, x) for i, k, c, x in before]
    assert _balances(ledger) == _balances(shadow)
    with ledger.engine.connect() as conn:
        promoted = conn.execute(select(pilot_promotions.c.shadow_entry_id,
                                       pilot_promotions.c.live_entry_id)).all()
        assert sorted(s for s, _ in promoted) == [row.id for row in before]
        assert sorted(v for _, v in promoted) == [row.id for row in live]
        pointed = set(conn.execute(select(documents.c.entry_id).where(
            documents.c.entry_id.is_not(None))).scalars())
        assert pointed <= {row.id for row in live}
        assert conn.execute(select(func.count()).select_from(bank_lines).where(
            bank_lines.c.entity_id == shadow.entity.id)).scalar() == 0
        linked = conn.execute(select(journal_lines.c.entity_id).join(
            reconciliation_links, reconciliation_links.c.journal_line_id == journal_lines.c.id)
        ).scalars().all()
        assert linked and set(linked) == {ledger.entity.id}  # reconciliations moved too
        record = conn.execute(select(connections.c.entity_id, connections.c.mapping)).one()
    assert record == (ledger.entity.id, WRITEBACKS)
    listing = runner.invoke(pilot_app, ["list", "--db", db_url, "--format", "json"])
    (row,) = __import__("json").loads(listing.stdout)["pilots"]
    assert (row["status"], row["started_by"], row["cutover_by"]) == ("promoted", "pat", "sam")
    assert row["promoted"] == len(before)
    # Once only: a second cutover is refused, and the same events again post nothing new.
    with pytest.raises(LedgerError, match="no running pilot"):
        cutover(ledger.engine, "company", by="sam")
    run_company(ledger)
    assert len(_entries(ledger)) == len(before)
    assert pilot.live_entity == ledger.entity.code


def test_cutover_refuses_a_live_book_with_entries_of_the_connection(sqlite_ledger):
    _, shadow = piloted(sqlite_ledger)
    first = _entries(shadow)[0]
    original = shadow.entry(first.id)
    lines = tuple(Line(ln.account, ln.original) for ln in original.lines)
    sqlite_ledger.post(Entry(original.date, lines, "Booked live by hand",
                      Lineage("company", "bill", original.lineage.external_id),
                      original.idempotency_key))
    with pytest.raises(LedgerError, match="already has 1 entries from connection 'company'"):
        cutover(sqlite_ledger.engine, "company", by="sam")
    assert len(_entries(sqlite_ledger)) == 1  # nothing changed
    done = cutover(sqlite_ledger.engine, "company", by="sam", existing=Existing.SKIP)
    assert (done.promoted, done.skipped) == (len(_entries(shadow)) - 1, 1)
    keys = [row.idempotency_key for row in _entries(sqlite_ledger) if row.idempotency_key]
    assert len(keys) == len(set(keys))
    assert _balances(sqlite_ledger) == _balances(shadow)


def test_cutover_refuses_a_locked_live_period_and_changes_nothing(sqlite_ledger):
    piloted(sqlite_ledger)
    sqlite_ledger.set_period("2026-02", "locked")
    with pytest.raises(LedgerError, match="2026-02"):
        cutover(sqlite_ledger.engine, "company", by="sam")
    assert _entries(sqlite_ledger) == []


def test_a_pilot_starts_only_before_the_connection_posts_live(sqlite_ledger):
    company_connection(sqlite_ledger)
    sqlite_ledger.post(Entry(dt.date(2026, 1, 5), (Line("1010", Money(100, "USD")),
                                            Line("4010", Money(-100, "USD"))),
                      "Sale", Lineage("company", "order", "SO-1")))
    with pytest.raises(LedgerError, match="already posted 1 entries"):
        start_pilot(sqlite_ledger.engine, "company", by="pat")
    result = runner.invoke(pilot_app, ["start", "nobody", "--db", str(sqlite_ledger.engine.url)])
    assert result.exit_code == 1
