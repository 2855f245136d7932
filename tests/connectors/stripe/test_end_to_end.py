"""Webhooks and a backfill of every stream together give books that match Stripe's own data."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from ledgerbridge.ledger.reports import trial_balance
from ledgerbridge.store.tables import inbox
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.stripe.conftest import balances, control, work

CURRENCIES = ["usd", "usd", "eur", "gbp", "jpy"]


def run_business(client, emulator, rng: random.Random, days: int) -> None:
    """A few days of trade: sales, refunds, disputes, Stripe fees, paid and failed payouts."""
    charges = []
    for day in range(days):
        for _ in range(rng.randint(2, 5)):
            currency = rng.choice(CURRENCIES)
            amount = rng.randint(50, 900) * (1 if currency == "jpy" else 100)
            if rng.random() < 0.5:
                intent = client.v1.payment_intents.create(
                    params={"amount": amount, "currency": currency, "confirm": True})
                charges.append((intent.latest_charge, amount))
            else:
                charges.append((client.v1.charges.create(
                    params={"amount": amount, "currency": currency}).id, amount))
        charge_id, amount = rng.choice(charges)
        left = amount - client.v1.charges.retrieve(charge_id).amount_refunded
        if left > 1:
            client.v1.refunds.create(params={"charge": charge_id,
                                             "amount": rng.randint(1, left)})
        if day % 2 == 1:
            dispute = control(emulator, "disputes", charge=charges[-1][0])
            control(emulator, f"disputes/{dispute['id']}/close",
                    outcome=rng.choice(["won", "lost"]))
        if day == 1:
            control(emulator, "fees", amount=rng.randint(100, 3000))
        if client.v1.balance.retrieve().available[0].amount > 0:
            control(emulator, "payouts/automatic",
                    outcome="failed" if day == 0 else "paid")


def count_dead(ledger) -> int:
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(inbox).where(
            inbox.c.status.in_(("dead", "waiting", "failed")))).scalar()


def expected_books(account) -> dict[str, int]:
    """The clearing and transit balances computed from the emulator's own records."""
    transactions = account.sequence("balance_transaction")[0]
    payouts = account.sequence("payout")[0]
    gross = sum(t["amount"] for t in transactions if t["type"] == "charge")
    fees = sum(t["fee"] for t in transactions if t["type"] == "charge")
    refunds = -sum(t["amount"] for t in transactions if t["type"] == "refund")
    disputes = -sum(t["net"] for t in transactions if t["type"] == "adjustment")
    stripe_fees = -sum(t["net"] for t in transactions if t["type"] == "stripe_fee")
    paid_out = sum(p["amount"] for p in payouts if p["status"] == "paid")
    return {"1150": gross - fees - refunds - disputes - stripe_fees - paid_out,
            "1160": paid_out}


@pytest.mark.parametrize("seed", [11, 2026])
def test_webhooks_plus_backfill_match_stripes_totals(ledger, connection, client, emulator,
                                                     account, seed):
    run_business(client, emulator, random.Random(seed), days=4)
    work(ledger)  # what the webhooks brought
    assert count_dead(ledger) == 0
    poll_connection(ledger.engine, connection)  # then a backfill of every stream
    work(ledger)
    books = balances(ledger)
    report = trial_balance(ledger)
    assert report.totals["debit"] == report.totals["credit"]
    expected = expected_books(account)
    assert (books.get("1150", 0), books.get("1160", 0)) == (expected["1150"], expected["1160"])
    assert books.get("1150", 0) == account.available()  # what Stripe still holds for us
    assert count_dead(ledger) == 0
