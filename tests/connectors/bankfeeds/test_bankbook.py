import datetime as dt

import pytest
from sqlalchemy import select

from ledgerbridge.connectors.bankfeeds.bankbook import import_statements
from ledgerbridge.connectors.bankfeeds.statement import Statement, StatementError, StatementLine
from ledgerbridge.ledger import LedgerError
from ledgerbridge.money import Money
from ledgerbridge.store.tables import bank_imports, bank_lines

D = dt.date(2026, 3, 2)


def line(amount, text, day=D, ref=None, pending=False, **kw):
    return StatementLine(booking_date=day, amount=Money.parse(amount, "USD"), description=text,
                         bank_reference=ref, pending=pending, **kw)


def load(ledger, *lines, account="NL01TEST", name="s.csv"):
    statement = Statement(account, "USD", tuple(lines), format="test")
    return import_statements(ledger, "1010", [statement], file_name=name, content=b"raw bytes")


def stored(ledger):
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(bank_lines).order_by(bank_lines.c.id)))


def test_same_file_twice_adds_nothing_and_identical_lines_are_kept(ledger):
    coffee = line("-4.50", "STARBUCKS 1234")
    first = load(ledger, coffee, coffee, line("1200.00", "ACME CORP INV 1001", ref="F1"))
    assert (first.read, first.added, first.duplicates) == (3, 3, 0)
    again = load(ledger, coffee, coffee, line("1200.00", "ACME CORP INV 1001", ref="F1"))
    assert (again.added, again.duplicates, again.review) == (0, 3, 0)
    assert [r.occurrence for r in stored(ledger)] == [1, 2, 1]


def test_overlapping_statements_add_only_new_lines(ledger):
    a, b, c = (line(f"-{n}.00", f"CARD {n}", ref=f"R{n}") for n in (1, 2, 3))
    load(ledger, a, b)
    result = load(ledger, b, c)
    assert (result.added, result.duplicates) == (1, 1)
    assert len(stored(ledger)) == 3


def test_pending_line_is_updated_when_it_books(ledger):
    load(ledger, line("-59.99", "AMZN MKTP pending", day=D, ref="P-1", pending=True))
    booked = load(ledger, line("-59.99", "AMAZON MARKETPLACE", day=D + dt.timedelta(days=2),
                               ref="B-77"))
    assert (booked.added, booked.updated) == (0, 1)
    (row,) = stored(ledger)
    assert (row.pending, row.bank_reference, row.booking_date) == (False, "B-77",
                                                                   D + dt.timedelta(days=2))


def test_probable_duplicate_goes_to_review(ledger):
    load(ledger, line("-120.00", "AWS EMEA invoice 55"))
    result = load(ledger, line("-120.00", "AWS EMEA  INVOICE 55", day=D + dt.timedelta(days=1)))
    assert (result.added, result.review) == (0, 1)
    review = stored(ledger)[-1]
    assert review.status == "review" and "bank line" in review.review_reason
    different = load(ledger, line("-120.00", "Office rent March"))
    assert different.added == 1


def test_raw_file_is_kept_and_bad_targets_refused(ledger):
    load(ledger, line("1.00", "x"))
    with ledger.engine.connect() as conn:
        assert conn.execute(select(bank_imports.c.content)).scalar() == b"raw bytes"
    with pytest.raises(LedgerError, match="no account '9999'"):
        import_statements(ledger, "9999", [Statement("A", "USD", (), format="t")],
                          file_name="f", content=b"")
    with pytest.raises(LedgerError, match="is income"):
        import_statements(ledger, "4010", [Statement("A", "USD", (), format="t")],
                          file_name="f", content=b"")
    two = [Statement("A", "USD", (), format="t"), Statement("B", "USD", (), format="t")]
    with pytest.raises(StatementError, match="several accounts"):
        import_statements(ledger, "1010", two, file_name="f", content=b"")
