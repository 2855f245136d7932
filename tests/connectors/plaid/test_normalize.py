"""Plaid transactions as bank lines: sign, exact decimals, currencies, dates, names."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.plaid.client import read_json
from ledgerbridge.connectors.plaid.connector import PAGE, _plaid_cursor
from ledgerbridge.connectors.plaid.normalize import (
    category_code,
    page_batch,
    transaction_document,
)
from ledgerbridge.connectors.registry import build
from ledgerbridge.sync.errors import FatalError, MalformedPayload

ACCOUNTS = {"acc_checking": "1010", "acc_card": "2100", "acc_skip": None}


def txn(**fields):
    base = {"transaction_id": "txn_1", "account_id": "acc_checking", "amount": Decimal("12.34"),
            "iso_currency_code": "USD", "unofficial_currency_code": None,
            "date": "2026-11-21", "authorized_date": "2026-11-20", "pending": False,
            "name": "Coffee Shop", "original_description": None, "merchant_name": None,
            "pending_transaction_id": None}
    return {**base, **fields}


def doc(**fields):
    return transaction_document(txn(**fields), ACCOUNTS, connection="plaid")


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("12.34", "USD", -1234), ("-1250.00", "USD", 125000), ("0.1", "USD", -10),
    ("1500", "JPY", -1500), ("1500.0", "JPY", -1500), ("-987654", "JPY", 987654),
    ("12.345", "KWD", -12345), ("-0.001", "BHD", 1), ("89.4", "EUR", -8940),
])
def test_amounts_are_exact_and_positive_means_money_out(amount, currency, minor):
    data = read_json(f'{{"amount": {amount}}}'.encode())
    assert isinstance(data["amount"], Decimal | int)
    document = doc(amount=data["amount"], iso_currency_code=currency)
    assert (document.amount.minor, document.amount.currency, document.currency) == (
        minor, currency, currency)


def test_too_many_decimals_for_the_currency_is_an_error_naming_the_transaction():
    with pytest.raises(FatalError, match=r"txn_1.*more decimals than JPY"):
        doc(amount=Decimal("10.5"), iso_currency_code="JPY")


def test_floats_never_reach_the_amount():
    with pytest.raises(FatalError, match="read as a float"):
        doc(amount=12.34)
    with pytest.raises(FatalError, match="not a number"):
        doc(amount="12.34")


def test_unofficial_currency_code_is_used_and_an_unknown_one_refused():
    assert doc(iso_currency_code=None, unofficial_currency_code="CNH").amount.currency == "CNH"
    with pytest.raises(FatalError, match="unofficial_currency_code 'BTC'"):
        doc(iso_currency_code=None, unofficial_currency_code="BTC")
    with pytest.raises(FatalError, match="no iso_currency_code"):
        doc(iso_currency_code=None)


def test_accounts_mapped_unmapped_and_left_out():
    assert doc(account_id="acc_card").account == "2100"
    assert doc(account_id="acc_skip") is None
    with pytest.raises(FatalError, match="Plaid account 'acc_other' is not mapped"):
        doc(account_id="acc_other")


def test_dates_text_and_counterparty():
    posted = doc(original_description="POS 4411 COFFEE SHOP #12", merchant_name="Coffee Shop")
    assert posted.booking_date == dt.date(2026, 11, 21)
    assert posted.description == "POS 4411 COFFEE SHOP #12"
    assert posted.counterparty.name == "Coffee Shop" and posted.bank_reference == "txn_1"
    assert (posted.kind, posted.pending) == ("debit", False)
    pending = doc(pending=True, date="2026-11-21", authorized_date="2026-11-19")
    assert (pending.booking_date, pending.pending, pending.description) == (
        dt.date(2026, 11, 19), True, "Coffee Shop")
    parties = doc(counterparties=[{"name": "Stripe", "type": "payment_processor"},
                                  {"name": "Acme Corp", "type": "merchant"}])
    assert parties.counterparty.name == "Acme Corp"
    fee = doc(personal_finance_category={"primary": "BANK_FEES", "detailed": "BANK_FEES_OTHER"})
    assert fee.kind == "fee"
    income = doc(amount=Decimal("-5"), personal_finance_category={
        "primary": "INCOME", "detailed": "INCOME_INTEREST_EARNED"})
    assert income.kind == "interest"


def test_a_page_is_a_batch_changes_then_removals():
    page = {"added": [txn(), txn(transaction_id="txn_2", pending_transaction_id="txn_p")],
            "modified": [txn(transaction_id="txn_3", account_id="acc_skip")],
            "removed": [{"transaction_id": "txn_p", "account_id": "acc_checking"},
                        {"transaction_id": "txn_x", "account_id": "acc_skip"},
                        {"transaction_id": "txn_y"}],
            "next_cursor": "CURSOR==", "has_more": False}
    batch = page_batch(page, b"raw", ACCOUNTS, item_id="item_1", connection="plaid")
    assert batch.name == "plaid:item_1:CURSOR==" and batch.content == b"raw"
    assert [(line.transaction.bank_reference, line.replaces) for line in batch.lines] == [
        ("txn_1", None), ("txn_2", "txn_p")]
    assert json.loads(batch.lines[0].raw)["amount"] == "12.34"
    assert [(r.bank_reference, r.account) for r in batch.removed] == [
        ("txn_p", "1010"), ("txn_y", None)]
    with pytest.raises(MalformedPayload):
        page_batch({"added": []}, b"", ACCOUNTS, item_id="i", connection="plaid")


def test_the_connector_reads_pages_and_not_webhooks():
    connector = build("plaid", "plaid", {
        "client_id": "c", "secret": "s", "access_token": "a", "item_id": "item_1",
        "accounts": ACCOUNTS})
    body = json.dumps({"added": [], "modified": [], "removed": [], "next_cursor": "c1",
                       "has_more": False}).encode()
    assert connector.feed_batch(RawEvent(body, object_type=PAGE)).lines == ()
    hook = json.dumps({"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE",
                       "item_id": "item_1"}).encode()
    assert connector.feed_batch(RawEvent(hook, object_type="webhook")) is None
    assert connector.sync_after(RawEvent(hook, object_type="webhook")) == ("transactions",)
    other = hook.replace(b"item_1", b"item_2")
    assert connector.sync_after(RawEvent(other, object_type="webhook")) == ()
    item = hook.replace(b"TRANSACTIONS", b"ITEM")
    assert connector.sync_after(RawEvent(item, object_type="webhook")) == ()


def test_settings_refuse_a_page_size_over_500():
    with pytest.raises(FatalError, match="count"):
        build("plaid", "p", {"client_id": "c", "secret": "s", "access_token": "a",
                             "item_id": "i", "accounts": {}, "count": 501})


def test_cursors():
    assert _plaid_cursor(None) is None and _plaid_cursor("") is None
    assert _plaid_cursor("2026-01-01T00:00:00+00:00") is None  # a backfill: from the start
    assert _plaid_cursor("eyJhIjoxfQ==") == "eyJhIjoxfQ=="


def test_accounts_from_the_command_line():
    settings = {"client_id": "c", "secret": "s", "access_token": "a", "item_id": "i"}
    pairs = build("plaid", "p", {**settings, "accounts": "acc_1=1010, acc_2=2100,acc_3="})
    assert pairs.settings.accounts == {"acc_1": "1010", "acc_2": "2100", "acc_3": None}
    as_json = build("plaid", "p", {**settings, "accounts": '{"acc_1": "1010"}', "count": "50"})
    assert (as_json.settings.accounts, as_json.settings.count) == ({"acc_1": "1010"}, 50)
    with pytest.raises(FatalError, match="accounts"):
        build("plaid", "p", {**settings, "accounts": "acc_1"})


def test_the_category_code_is_plaids_detailed_category_never_an_invented_mcc():
    pfc = {"primary": "FOOD_AND_DRINK", "detailed": "FOOD_AND_DRINK_RESTAURANT"}
    assert category_code(txn(personal_finance_category=pfc)) == "FOOD_AND_DRINK_RESTAURANT"
    assert category_code(txn(personal_finance_category={"primary": "TRANSFER_OUT"})) \
        == "TRANSFER_OUT"
    assert category_code(txn(category=["Food and Drink"], category_id="13005000")) == "13005000"
    assert category_code(txn()) is None
    batch = page_batch({"added": [txn(personal_finance_category=pfc)], "modified": [],
                        "removed": [], "next_cursor": "C"}, b"", ACCOUNTS, item_id="i",
                       connection="plaid")
    assert batch.lines[0].category_code == "FOOD_AND_DRINK_RESTAURANT"
