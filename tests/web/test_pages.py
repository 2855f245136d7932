import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select, update

from ledgerbridge.ledger import PeriodStatus
from ledgerbridge.ledger.reports import balance_sheet
from ledgerbridge.report import write_csv
from ledgerbridge.store.tables import bank_lines, inbox, periods, reconciliations
from ledgerbridge.web.report_view import REPORTS
from tests.web.books import seed
from tests.web.conftest import post_form, sqlite_only


@pytest.fixture
def books(ledger, site):
    return seed(site, ledger)


def status_of(ledger, table, row_id):
    with ledger.engine.connect() as conn:
        return conn.execute(select(table.c.status).where(table.c.id == row_id)).scalar_one()


def proposals(ledger, line_id):
    from ledgerbridge.store.tables import reconciliation_links

    with ledger.engine.connect() as conn:
        return list(conn.execute(
            select(reconciliations).join(
                reconciliation_links,
                reconciliation_links.c.reconciliation_id == reconciliations.c.id)
            .where(reconciliation_links.c.bank_line_id == line_id)
            .order_by(reconciliations.c.id)))


def test_connections_show_health_and_an_accountant_replays_dead_letters(ledger, books,
                                                                       accountant):
    page = accountant.get("/connections").text
    row = re.search(r'<tr data-connection="shop">(.*?)</tr>', page, re.S).group(1)
    assert "needs attention" in row and "Replay 1 dead" in row
    assert 'data-poll="/connections/table"' in page
    answer = post_form(accountant, "/connections", "/connections/shop/replay")
    assert answer.status_code == 303
    page = accountant.get("/connections").text
    assert "Queued 1 events of shop for replay" in page
    assert "Replay 1 dead" not in page
    assert status_of(ledger, inbox, books["dead"]) == "received"
    assert "Queued" not in accountant.get("/connections").text  # a notice is shown once


def test_exceptions_queue_says_why_and_what_to_do(ledger, books, accountant):
    page = accountant.get("/exceptions/table").text
    assert "<html" not in page  # the fragment the page polls
    assert "no account 9999 in the chart" in page
    assert "Add the account to the chart" in page
    assert "probable duplicate of bank line 2" in page
    post_form(accountant, "/exceptions", f"/exceptions/bank-lines/{books['review']}/discard")
    assert status_of(ledger, bank_lines, books["review"]) == "discarded"
    post_form(accountant, "/exceptions", f"/exceptions/events/{books['dead']}/replay")
    assert status_of(ledger, inbox, books["dead"]) == "received"
    page = accountant.get("/exceptions").text
    assert "No dead-lettered events" in page and "No bank lines waiting" in page


def test_workspace_accepts_rejects_and_undoes_in_one_click(ledger, books, accountant):
    page = accountant.get("/reconcile?account=1010").text
    (typo,) = proposals(ledger, books["typo"])
    assert f'data-reconciliation="{typo.id}"' in page and f"{typo.confidence}%" in page
    assert "INCOMING TRANSFER" in page and "JONSON PARTNRS" in page
    answer = post_form(accountant, "/reconcile", f"/reconcile/{typo.id}/accept", account="1010")
    assert answer.headers["location"] == "/reconcile?account=1010"
    assert status_of(ledger, bank_lines, books["typo"]) == "reconciled"
    assert "accepted; posted entry" in accountant.get(answer.headers["location"]).text
    post_form(accountant, "/reconcile", f"/reconcile/{typo.id}/undo", account="1010")
    assert status_of(ledger, bank_lines, books["typo"]) == "unreconciled"
    first, second = proposals(ledger, books["globex"])
    post_form(accountant, "/reconcile", f"/reconcile/{first.id}/reject", account="1010")
    assert status_of(ledger, reconciliations, first.id) == "rejected"
    post_form(accountant, "/reconcile", f"/reconcile/{first.id}/accept", account="1010")
    assert "only a proposal can be accepted" in accountant.get("/reconcile").text


@sqlite_only
def test_every_report_renders_with_a_period_picker(books, viewer):
    for name in REPORTS:
        answer = viewer.get(f"/reports/{name}?start=2026-01-01&end=2026-12-31")
        assert answer.status_code == 200, name
        assert f'href="/reports/{name}.csv' in answer.text
    aging = viewer.get("/reports/receivables-aging?end=2026-03-31").text
    assert "Johnson &amp; Partners LLC" in aging and "830.40" in aging
    missing = viewer.get("/reports/nonsense")
    assert missing.status_code == 404 and "no report &#39;nonsense&#39;" in missing.text
    backwards = viewer.get("/reports/income-statement?start=2026-05-01&end=2026-01-01")
    assert backwards.status_code == 400 and "is after the end date" in backwards.text
    bad = viewer.get("/reports/balance-sheet?end=last-tuesday")
    assert bad.status_code == 400 and "end: Input should be a valid date" in bad.text


def test_csv_download_is_the_same_report(ledger, books, viewer):
    answer = viewer.get("/reports/balance-sheet.csv?end=2026-03-31")
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    expected = io.StringIO()
    write_csv(balance_sheet(ledger, end=dt.date(2026, 3, 31)), expected)
    assert answer.text == expected.getvalue()
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {"code": "1100", "amount": "1136.65"}.items() <= next(
        r for r in rows if r["code"] == "1100").items()


def test_drill_down_from_report_to_raw_payload(books, viewer):
    sheet = viewer.get("/reports/balance-sheet?end=2026-03-31").text
    assert 'href="/accounts/1100?end=2026-03-31"' in sheet
    account = viewer.get("/accounts/1100?end=2026-03-31").text
    entry = re.search(r'href="(/entries/\d+)">', account).group(1)
    trail = viewer.get(entry).text
    assert "shop (webhook)" in trail
    assert "&#34;number&#34;: &#34;INV-1&#34;" in trail  # the canonical document
    assert "Inbox event" in trail and "Consulting" in trail  # the raw payload
    manual = re.findall(r'href="(/entries/\d+)">', account)[1]
    assert "entered in the ledger directly" in viewer.get(manual).text


def test_kpis_count_what_they_say(ledger, books, viewer):
    ledger.reverse(1, date=dt.date(2026, 2, 20))  # INV-1, corrected within 30 days
    ledger.set_period("2026-02", PeriodStatus.LOCKED)
    page = viewer.get("/kpis?baseline=2026-03-01&end=2026-03-31").text
    kpis = dict(re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>(.*?)</td>", page))
    assert kpis["Manual entries per week"] == "0.7 a week (3 entries)"
    assert kpis["Audit retrieval"] == "0.0% (0 of 3)"
    assert kpis["Duplicate payment incidents"] == "1"
    assert kpis["Invoice correction rate"] == "no data"  # INV-1 is dated in February
    assert "Sync lag: shop" in kpis
    assert "Before (2026-01-29 to 2026-02-28)" in page
    with ledger.engine.begin() as conn:  # February was locked five days after its end
        conn.execute(update(periods).values(
            changed_at=dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC)))
    page = viewer.get("/kpis?baseline=2026-02-01&end=2026-02-28").text
    kpis = dict(re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>(.*?)</td>", page))
    assert kpis["Invoice correction rate"] == "100.0% (1 of 1)"
    assert kpis["Close duration"] == "5.0 days (1 periods)"
    assert kpis["Audit retrieval"] == "100.0% (2 of 2)"  # a reversal keeps its lineage
