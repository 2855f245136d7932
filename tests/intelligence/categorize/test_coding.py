import pytest
from sqlalchemy import insert, select

from ledgerbridge.intelligence.categorize import CategorizeError
from ledgerbridge.intelligence.categorize.coding import apply, code_line, suggest, train
from ledgerbridge.intelligence.categorize.history import training_set
from ledgerbridge.intelligence.categorize.rulebook import decide, edit, rules
from ledgerbridge.intelligence.categorize.versions import versions
from ledgerbridge.ledger import Entry, Line
from ledgerbridge.money import Money
from ledgerbridge.reconcile import run, undo
from ledgerbridge.store.tables import documents, journal_entries
from ledgerbridge.sync.connections import add_connection
from tests.intelligence.categorize.books import START, coded_history
from tests.reconcile.test_reconcile import balance, bank, invoice, line_status, recs
from tests.web.conftest import sqlite_only


def test_training_learns_from_coded_lines_and_versions_the_model(ledger):
    coded_history(ledger)
    invoice(ledger, "Acme Corp", "500.00", "INV-1001")
    paid = bank(ledger, "500.00", "ACME CORP INV-1001", "ACME CORP")
    run(ledger, account="1010")
    assert line_status(ledger, paid) == "reconciled"  # matched: no lesson for coding
    with ledger.engine.connect() as conn:
        data = training_set(conn, ledger)
    assert len(data.txns) == 25
    assert set(data.accounts) == {"6010", "6250", "6350", "4910", "6100"}
    assert data.parties[data.accounts.index("6010")] == "Gusto"
    first = train(ledger, seed=4)
    again = train(ledger, seed=4)
    assert (first.version.version, again.version.version) == (1, 2)
    assert first.version.fingerprint == again.version.fingerprint
    assert first.version.metrics["validation_lines"] == 5
    line = bank(ledger, "-12500.00", "GUSTO PAYROLL 9999", "Gusto", START)
    _, one = suggest(ledger, version=1)
    _, two = suggest(ledger, version=2)
    assert one == two and one[0].line.id == line
    with ledger.engine.connect() as conn:
        assert [v.version for v in versions(conn, ledger)] == [2, 1]


def test_apply_codes_the_sure_lines_through_reconcile_and_leaves_the_rest(ledger):
    coded_history(ledger)
    train(ledger)
    sure = bank(ledger, "-12500.00", "GUSTO PAYROLL 5150", "Gusto", START)
    unsure = bank(ledger, "-77.00", "ZXQ VENDOR", None, START)
    result = apply(ledger, threshold=0.5)
    assert (result.lines, result.coded, result.review) == (2, 1, 1)
    assert line_status(ledger, sure) == "reconciled"
    assert line_status(ledger, unsure) == "unreconciled"
    assert balance(ledger, "6010") == 5 * 1250000 + 1250000
    (coded,) = [r for r in recs(ledger) if r.kind == "rule" and "categorize v1" in r.reasons]
    with ledger.engine.connect() as conn:
        lineage = conn.execute(select(journal_entries.c.object_type,
                                      journal_entries.c.external_id).where(
            journal_entries.c.id == coded.entry_id)).one()
    assert tuple(lineage) == ("bank_line", str(sure))
    undo(ledger, coded.id)  # reconcile's undo reverses a coding like any bank rule's
    assert balance(ledger, "6010") == 5 * 1250000


def test_a_correction_recodes_the_line_and_is_remembered(ledger):
    coded_history(ledger)
    train(ledger)
    line = bank(ledger, "-312.40", "AWS EMEA 777", None, START)
    apply(ledger, threshold=0.3)
    assert balance(ledger, "6250") == 6 * 31240
    assert code_line(ledger, line, "6200") is True
    assert balance(ledger, "6250") == 5 * 31240
    assert balance(ledger, "6200") == 31240
    bank(ledger, "-300.00", "AWS EMEA 778", None, START)
    _, [item] = suggest(ledger)
    assert (item.suggestions[0].account, item.suggestions[0].source) == ("6200", "memory")


@sqlite_only  # refusals happen before any SQL that differs between the databases
def test_corrections_refuse_what_they_cannot_do(ledger):
    coded_history(ledger)
    line = bank(ledger, "-10.00", "SOMETHING", None, START)
    with pytest.raises(CategorizeError, match="not an active account"):
        code_line(ledger, line, "9999")
    with pytest.raises(CategorizeError, match="no bank line 424242"):
        code_line(ledger, 424242, "6200")
    with pytest.raises(CategorizeError, match="train one first"):
        suggest(ledger)
    with pytest.raises(CategorizeError, match="threshold 1.5"):
        apply(ledger, threshold=1.5)


def test_mined_rules_are_proposed_then_accepted_edited_and_applied_first(ledger):
    coded_history(ledger)
    assert train(ledger, min_support=5).rules_proposed >= 4
    with ledger.engine.begin() as conn:
        by_text = {str(r): r for r in rules(conn, ledger)}
        gusto = by_text["counterparty contains GUSTO -> 6010"]
        assert gusto.status == "proposed" and gusto.support == 5
        decide(conn, ledger, gusto.id, "accepted")
        changed = edit(conn, ledger, gusto.id, account="6020")
        assert (changed.status, changed.account) == ("accepted", "6020")
        with pytest.raises(CategorizeError, match="not an active account"):
            edit(conn, ledger, gusto.id, account="0000")
        with pytest.raises(CategorizeError, match="status 'maybe'"):
            decide(conn, ledger, gusto.id, "maybe")
    bank(ledger, "-12500.00", "GUSTO PAYROLL 6000", "Gusto", START)
    _, [item] = suggest(ledger)
    best = item.suggestions[0]
    assert (best.account, best.source) == ("6020", "rule")
    assert best.reasons == ("rule counterparty contains GUSTO -> 6020",)


def test_posted_bill_lines_teach_with_the_vendor_as_counterparty(ledger):
    connection = add_connection(ledger.engine, "books", "webhook", settings={"secret": "s"})
    entry = ledger.post(Entry(date=START, memo="Bill 77", lines=(
        Line("6250", Money.parse("120.00", "USD"), memo="Cloud hosting March"),
        Line("6300", Money.parse("30.00", "USD"), memo="Printer paper"),
        Line("2010", Money.parse("-150.00", "USD"), party="Hetzner Online"))))
    with ledger.engine.begin() as conn:
        conn.execute(insert(documents).values(
            connection_id=connection.id, type="bill", external_id="77", version="1",
            content_hash="h", data="{}", status="current", entry_id=entry))
        data = training_set(conn, ledger)
    assert [(t.text, t.counterparty, t.amount, a) for t, a in zip(data.txns, data.accounts,
                                                                   strict=True)] == [
        ("Cloud hosting March", "Hetzner Online", -12000, "6250"),
        ("Printer paper", "Hetzner Online", -3000, "6300")]
    assert all(s.startswith("bill:") for s in data.sources)


def test_a_correction_codes_its_line_alone_even_beside_a_twin_or_a_sure_match(ledger):
    coded_history(ledger)
    line = bank(ledger, "-10.00", "SOMETHING", None, START)
    twin = bank(ledger, "-10.00", "SOMETHING", None, START)
    invoice(ledger, "Acme Corp", "500.00", "INV-1001")
    paid = bank(ledger, "500.00", "ACME CORP INV-1001", "ACME CORP")
    assert code_line(ledger, line, "6200") is True
    assert balance(ledger, "6200") == 1000
    assert (line_status(ledger, line), line_status(ledger, twin)) == ("reconciled",
                                                                       "unreconciled")
    assert line_status(ledger, paid) == "unreconciled"  # a perfect match, not accepted
    assert code_line(ledger, twin, "6300") is True
    assert (balance(ledger, "6200"), balance(ledger, "6300")) == (1000, 1000)
