import datetime as dt
import re

from ledgerbridge.intelligence.anomalies import scan
from tests.intelligence.anomalies.test_scan import add_debits
from tests.web.conftest import post_form


def test_anomalies_page_lists_flags_and_dismisses_with_one_click(ledger, accountant, viewer):
    today = dt.date.today()
    add_debits(ledger, (today, 99_000, "Acme Corp"), (today, 99_000, "Acme Corp"))
    scan(ledger)
    page = viewer.get("/anomalies").text
    (flag_id,) = re.findall(r'data-flag="(\d+)"', page)
    assert "990.00 USD paid to Acme Corp twice in 0 days" in page
    assert "/dismiss" not in page  # a viewer reads, an accountant decides
    refused = viewer.post(f"/anomalies/{flag_id}/dismiss", data={"csrf_token": "x"})
    assert refused.status_code == 403
    forged = accountant.post(f"/anomalies/{flag_id}/dismiss", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    kpis = viewer.get(f"/kpis?baseline={today}&end={today}").text
    assert re.search(r"<td>Duplicate payments prevented</td><td>0</td><td>1 \(990.00 USD", kpis)
    done = post_form(accountant, "/anomalies", f"/anomalies/{flag_id}/dismiss")
    assert done.status_code == 303
    page = accountant.get("/anomalies").text
    assert f"Flag {flag_id} (duplicate_payment) dismissed" in page
    assert 'data-flag="' not in page and "accountant" in page.split('id="dismissed"')[1]
    scan(ledger)  # found again, still dismissed
    assert 'data-flag="' not in accountant.get("/anomalies").text
    kpis = viewer.get(f"/kpis?baseline={today}&end={today}").text
    assert "<td>Duplicate payments prevented</td><td>0</td><td>0</td>" in kpis
    missing = post_form(accountant, "/anomalies", "/anomalies/999/dismiss")
    assert "no anomaly flag 999" in accountant.get(missing.headers["location"]).text


def test_forecast_page_draws_the_band_for_an_account(ledger, viewer):
    add_debits(ledger, (dt.date.today() - dt.timedelta(days=3), 10_000, "Cleaner"))
    page = viewer.get("/forecast?account=1010&days=28").text
    assert '<svg id="forecast-chart"' in page and "<polygon points=" in page
    assert len(re.findall(r"<tr><td>\d{4}-\d\d-\d\d</td>", page)) == 4  # one row a week
    assert viewer.get("/forecast?account=1999").status_code == 404
    assert viewer.get("/forecast?days=2").status_code == 400
