from ledgerbridge.intelligence.categorize.coding import train
from tests.intelligence.categorize.books import START, coded_history
from tests.reconcile.test_reconcile import balance, bank, line_status
from tests.web.conftest import post_form, sqlite_only


@sqlite_only
def test_page_asks_for_a_model_before_there_is_one(viewer):
    assert "train one first" in viewer.get("/categorize").text


@sqlite_only  # the coding itself runs on both databases in test_coding
def test_review_queue_lists_unsure_lines_and_an_accountant_codes_one(ledger, accountant,
                                                                     viewer):
    coded_history(ledger)
    train(ledger)
    sure = bank(ledger, "-12500.00", "GUSTO PAYROLL 5150", "Gusto", START)
    odd = bank(ledger, "-77.00", "ZXQ <b>VENDOR</b>", None, START)
    page = viewer.get("/categorize?threshold=0.5").text
    assert f'data-line="{odd}"' in page and f'data-line="{sure}"' not in page
    assert page.count("data-suggestion=") == 3 and "ZXQ &lt;b&gt;VENDOR" in page
    assert "<form" not in page.split('id="queue"')[1]  # a viewer reads, but codes nothing
    refused = post_form(viewer, "/categorize", f"/categorize/{odd}/code", account="6300")
    assert refused.status_code == 403 and line_status(ledger, odd) == "unreconciled"

    answer = post_form(accountant, "/categorize", f"/categorize/{odd}/code", account="6300")
    assert answer.status_code == 303 and answer.headers["location"] == "/categorize"
    assert line_status(ledger, odd) == "reconciled" and balance(ledger, "6300") == 7700
    assert f"Bank line {odd} coded to 6300" in accountant.get("/categorize").text
    post_form(accountant, "/categorize", f"/categorize/{sure}/code", account="0000")
    assert "not an active account" in accountant.get("/categorize").text
