"""Every Shopify sample body that carries money parses and posts a balanced entry."""

from __future__ import annotations

import copy

import pytest

from ledgerbridge.connectors.shopify.amounts import load
from ledgerbridge.connectors.shopify.orders import order_documents, refund_documents
from ledgerbridge.connectors.shopify.payouts import payout_documents
from ledgerbridge.mapping import load_rules
from ledgerbridge.money import parse_minor
from ledgerbridge.sync.errors import FatalError
from tests.conftest import SHARED

SAMPLES = SHARED / "specs" / "shopify"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="vendor samples not present")
RULES = load_rules('tax:\n  jurisdictions:\n    US-KY: "2230"\n')


def sample(name: str) -> dict:
    return load((SAMPLES / name).read_bytes())


def no_lookup(kind: str, external_id: str):
    raise AssertionError(f"unexpected lookup of {kind} {external_id}")


def posted(document) -> dict[str, int]:
    """The document's entry as balance per account; it must balance."""
    entry = RULES.entry_for(document, no_lookup)
    assert entry is not None
    assert sum(line.amount.minor for line in entry.lines) == 0
    totals: dict[str, int] = {}
    for line in entry.lines:
        totals[line.account] = totals.get(line.account, 0) + line.amount.minor
    return totals


def all_orders() -> list[dict]:
    return [sample("order.json")["order"], *sample("orders.json")["orders"]]


@pytest.mark.parametrize("order", all_orders(), ids=lambda o: str(o["id"]))
def test_sample_orders_post_balanced_with_tax_per_jurisdiction(order):
    (document,) = order_documents("shop", order)
    assert document.total.text() == order["total_price"]
    lines = posted(document)
    assert lines["2230"] == -1194  # Kentucky State Tax, from the order's address
    assert document.tax_lines[0].jurisdiction == "US-KY"
    receivable = lines.get("1100", 0) + lines.get("1150", 0)
    assert receivable == document.total.minor


def test_sample_order_lines_that_do_not_add_up_keep_a_visible_difference():
    (document,) = order_documents("shop", sample("order.json")["order"])
    assert document.lines[-1].description == "Difference to the Shopify order total"
    assert document.lines[-1].amount.text() == "-199.00"


def test_sample_refund_posts_a_credit_note_with_tax_back_and_money_through_clearing():
    refund = sample("refund.json")["refund"]
    order = sample("orders.json")["orders"][0]
    credit, money = refund_documents("shop", refund, order)
    assert credit.total.text() == "209.00"
    assert [t.jurisdiction for line in credit.lines for t in line.tax_lines] == ["US-KY"] * 2
    note = posted(credit)
    assert note["2230"] == 796 and note["1100"] == -20900
    assert "restocked" not in (credit.reason or "")
    assert posted(money) == {"1100": 20900, "1150": -20900}


@pytest.mark.parametrize("name", ["transaction.json", "transactions.json"])
def test_sample_transactions_parse_and_only_gift_cards_change_an_order(name):
    data = sample(name)
    transactions = data if isinstance(data, list) else [data["transaction"]]
    order = sample("order.json")["order"]
    (document,) = order_documents("shop", order, transactions)
    assert document.gift_cards == ()  # an authorization by card moves no gift card
    as_gift_card = copy.deepcopy(transactions)
    for txn in as_gift_card:
        txn.update(gateway="gift_card", kind="sale", receipt={"gift_card_id": 77,
                                                              "gift_card_last_characters": "c293"})
    (paid,) = order_documents("shop", {**order, "financial_status": "paid"}, as_gift_card)
    assert paid.gift_cards[0].amount.text() == "409.94"
    lines = posted(paid)
    assert lines["2400"] == 40994 and "1150" not in lines


def test_sample_payout_moves_net_to_transit_and_fees_out_of_clearing():
    payout, fee = payout_documents("shop", sample("payout.json")["payout"])
    assert (payout.gross.text(), payout.fees.text(), payout.net.text()) == \
        ("43.11", "1.21", "41.90")
    assert posted(payout) == {"1160": 4190, "1150": -4190}
    assert posted(fee) == {"6600": 121, "1150": -121}


@pytest.mark.parametrize("payout", sample("payouts.json")["payouts"] if SAMPLES.is_dir() else [],
                         ids=lambda p: p["status"])
def test_sample_payouts_parse_and_failed_ones_post_nothing(payout):
    documents = payout_documents("shop", payout)
    entry = RULES.entry_for(documents[0], no_lookup)
    assert (entry is None) == (payout["status"] in ("failed", "canceled"))


def test_sample_balance_transactions_that_do_not_add_up_are_refused():
    moves = sample("payouts_transactions.json")["transactions"]
    with pytest.raises(FatalError, match="758509248: amount -1.50 - fee -0.25 is not its net"):
        payout_documents("shop", sample("payout.json")["payout"], moves)
    consistent = [t for t in moves if t["id"] != 758509248]
    with pytest.raises(FatalError, match="is 41.90 but its balance transactions add up to 83.13"):
        payout_documents("shop", sample("payout.json")["payout"], consistent)


def test_sample_balance_transactions_empty_clearing_of_exactly_the_order_money():
    moves = [t for t in sample("payouts_transactions.json")["transactions"]
             if t["id"] != 758509248]
    payout = {**sample("payout.json")["payout"], "amount": "83.13"}
    documents = payout_documents("shop", payout, moves)
    clearing = sum(posted(d).get("1150", 0) for d in documents)
    from_orders = sum(parse_minor(t["amount"], "USD") for t in moves
                      if t["type"] in ("charge", "refund"))
    assert clearing == -from_orders
    assert {d.kind for d in documents if d.type == "fee"} == {"processing", "dispute", "other"}
    assert len(documents[0].balance_transactions) == len(moves) - 1  # not the payout itself
