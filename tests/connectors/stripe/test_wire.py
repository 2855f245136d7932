"""Stripe's form encoding, list paging and amounts, without a server."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors.stripe.account import StripeError
from ledgerbridge.connectors.stripe.amounts import from_money, to_money
from ledgerbridge.connectors.stripe.wire import decode_form, expand, list_page
from ledgerbridge.money import Money, MoneyError


def test_bracket_notation_nests_and_indexes():
    pairs = [("amount", "100"), ("metadata[invoice]", "INV-1"), ("metadata[note]", "x"),
             ("expand[]", "a"), ("expand[]", "b.c"), ("created[gte]", "5"),
             ("items[0][price]", "p1"), ("items[1][price]", "p2"), ("ids[1]", "y"),
             ("ids[0]", "x")]
    assert decode_form(pairs) == {
        "amount": "100", "metadata": {"invoice": "INV-1", "note": "x"},
        "expand": ["a", "b.c"], "created": {"gte": "5"},
        "items": [{"price": "p1"}, {"price": "p2"}], "ids": ["x", "y"],
    }


@pytest.mark.parametrize(("amount", "currency", "money"), [
    (1234, "usd", Money(1234, "USD")),
    (1234, "jpy", Money(1234, "JPY")),        # zero-decimal: yen, not hundredths
    (12340, "kwd", Money(12340, "KWD")),      # three decimals
    (150000, "isk", Money(1500, "ISK")),      # Stripe's ISK carries two zero decimals
])
def test_stripe_amounts_are_read_in_stripes_own_units(amount, currency, money):
    assert to_money(amount, currency) == money
    assert from_money(money) == amount


def test_an_amount_that_would_lose_a_digit_is_refused():
    with pytest.raises(MoneyError):
        to_money(150001, "isk")


def _objects(n):
    return [{"id": f"o_{i}", "created": 100 + i // 3} for i in range(n)]


@given(n=st.integers(0, 40), limit=st.integers(1, 12))
def test_paging_forward_and_backward_visits_everything_once_newest_first(n, limit):
    items = _objects(n)
    seen, params = [], {"limit": str(limit)}
    while True:
        page = list_page(items, params, "/v1/x")
        seen += [o["id"] for o in page["data"]]
        if not page["has_more"]:
            break
        params = {"limit": str(limit), "starting_after": page["data"][-1]["id"]}
    assert seen == [o["id"] for o in reversed(items)]
    if n:
        back, params = [], {"limit": str(limit), "ending_before": items[0]["id"]}
        while True:
            page = list_page(items, params, "/v1/x")
            back += [o["id"] for o in reversed(page["data"])]
            if not page["has_more"]:
                break
            params = {"limit": str(limit), "ending_before": page["data"][0]["id"]}
        assert back == [o["id"] for o in items[1:]]


@given(n=st.integers(0, 30), gte=st.integers(98, 112), lt=st.integers(98, 112))
def test_created_filters_are_inclusive_and_exclusive_as_named(n, gte, lt):
    items = _objects(n)
    page = list_page(items, {"limit": "100", "created": {"gte": str(gte), "lt": str(lt)}},
                     "/v1/x")
    assert [o["id"] for o in page["data"]] == [
        o["id"] for o in reversed(items) if gte <= o["created"] < lt]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"limit": "x"},
                                    {"starting_after": "o_missing"}])
def test_bad_list_parameters_are_refused_like_stripe(params):
    with pytest.raises(StripeError) as refused:
        list_page(_objects(3), params, "/v1/x")
    assert refused.value.status in (400, 404)
    assert refused.value.body()["error"]["type"] == "invalid_request_error"


def test_expansion_replaces_ids_through_lists_without_changing_the_original():
    store = {"txn_1": {"id": "txn_1", "object": "balance_transaction"}}
    listing = {"object": "list", "data": [{"id": "ch_1", "balance_transaction": "txn_1"}]}
    out = expand(listing, ["data.balance_transaction"], store.get)
    assert out["data"][0]["balance_transaction"] == store["txn_1"]
    assert listing["data"][0]["balance_transaction"] == "txn_1"
