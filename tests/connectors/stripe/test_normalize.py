"""Normalizing any history of an account posts exactly what its balance transactions moved."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.stripe import SALES_MAPPING
from ledgerbridge.connectors.stripe.account import Account, StripeError
from ledgerbridge.connectors.stripe.normalize import Normalizer
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.ledger.posting import PostingContext, prepare_lines
from ledgerbridge.mapping import PostingRules, load_rules
from ledgerbridge.sync.errors import MissingDependency

RULES = PostingRules(load_rules(SALES_MAPPING).config, chart=standard_chart(),
                     functional_currency="USD")
CHART = {a.code: (n, True) for n, a in enumerate(standard_chart())}
CONTEXT = PostingContext(entity_id=1, functional="USD", accounts=CHART, periods={})
CODES = {n: code for code, (n, _) in CHART.items()}


class Fetch:
    """Reads back from the account directly, as the API would answer."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def retrieve(self, resource: str, object_id: str) -> dict:
        return self.account.find(object_id)

    def payout_transactions(self, payout_id: str) -> list[dict]:
        return self.account.payout_transactions(payout_id)


operation = st.one_of(
    st.tuples(st.just("charge"), st.sampled_from(["usd", "eur", "gbp", "jpy", "chf"]),
              st.integers(1, 200_000)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100)),
    st.tuples(st.just("dispute"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("fee"), st.integers(1, 5000), st.none()),
    st.tuples(st.just("payout"), st.booleans(), st.none()),
)


def run(account: Account, operations) -> None:
    for kind, a, b in operations:
        charges = account.sequence("charge")[0]
        try:
            if kind == "charge":
                account.create_charge(b, a)
            elif kind == "refund" and charges:
                charge = charges[a % len(charges)]
                left = charge["amount"] - charge["amount_refunded"]
                account.create_refund(charge["id"], max(1, left * b // 100))
            elif kind == "dispute" and charges:
                dispute = account.open_dispute(charges[a % len(charges)]["id"])
                account.close_dispute(dispute["id"], won=b)
            elif kind == "fee":
                account.add_fee(a)
            elif kind == "payout":
                account.run_automatic_payout(paid=a)
        except StripeError:
            pass  # refused as Stripe would (already refunded, disputed, nothing to pay out)


@settings(max_examples=60, deadline=None)
@given(operations=st.lists(operation, max_size=30))
def test_clearing_and_transit_equal_what_the_balance_transactions_moved(operations):
    account = Account(seed=1)
    run(account, operations)
    normalizer = Normalizer("stripe", Fetch(account))
    current = {}
    for txn in account.sequence("balance_transaction")[0]:
        for document in normalizer.documents(txn):
            current[(document.type, document.source.external_id)] = document

    def lookup(type_: str, external_id: str):
        try:
            return current[(type_, external_id)]
        except KeyError:
            raise MissingDependency(f"{type_}:{external_id}") from None

    totals: dict[str, int] = {}
    for document in current.values():
        entry = RULES.entry_for(document, lookup)
        for line in prepare_lines(CONTEXT, entry) if entry else ():
            code = CODES[line.account_id]
            totals[code] = totals.get(code, 0) + line.amount
    paid = sum(p["amount"] for p in account.sequence("payout")[0] if p["status"] == "paid")
    assert totals.get("1150", 0) == account.available()
    assert totals.get("1160", 0) == paid


def test_a_payout_built_unvalidated_is_what_validation_would_make():
    account = Account(seed=3)
    account.seed(700, start=1_700_000_000, payout_every=300)
    normalizer = Normalizer("stripe", Fetch(account))
    payouts = [d for p in account.sequence("payout")[0] for d in normalizer.documents(p)]
    assert len(payouts) == 2 and all(p.balance_transactions for p in payouts)
    for payout in payouts:
        assert type(payout).model_validate(payout.model_dump()) == payout


def test_a_payout_settling_another_currency_is_refused_by_name():
    account = Account(seed=3)
    account.seed(300, start=1_700_000_000, payout_every=299)
    (payout,) = account.sequence("payout")[0]

    class Foreign(Fetch):
        def payout_transactions(self, payout_id: str) -> list[dict]:
            first, *rest = super().payout_transactions(payout_id)
            return [{**first, "currency": "eur"}, *rest]

    with pytest.raises(ValueError, match=f"payout {payout['id']} in USD settles .* in EUR"):
        Normalizer("stripe", Foreign(account)).documents(payout)
