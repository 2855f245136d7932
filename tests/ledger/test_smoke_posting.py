import datetime as dt

from ledgerbridge.ledger import Entry, Line
from ledgerbridge.money import Money


def test_post_and_read(ledger):
    m = Money.parse("10.00", "USD")
    entry_id = ledger.post(Entry(dt.date(2026, 1, 31), (Line("1010", m), Line("4010", -m)), "sale"))
    posted = ledger.entry(entry_id)
    assert [ln.amount for ln in posted.lines] == [m, -m]
