"""End to end: a PayPal account's history and live activity, synced by webhooks and a backfill.

The ledger's PayPal clearing account must end equal to the account's own record of
its balance movements, summed here without any of the connector's code.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ledgerbridge.store.tables import inbox
from ledgerbridge.sync.scheduler import poll_connection
from tests.connectors.paypal.conftest import balance, connect, work


def _at(sandbox, moment: dt.datetime | None) -> None:
    sandbox.control("PUT", "/config", {
        "now": moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None})


def test_webhooks_and_backfill_bring_the_clearing_account_to_paypals_balance(ledger, live):
    paypal = connect(ledger, live.url)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    # History from before the connection existed: only a backfill can find it.
    live.control("PUT", "/config", {"send_webhooks": False})
    for days, value in ((44, "80.00"), (33, "19.99"), (12, "240.00")):
        _at(live, now - dt.timedelta(days=days))
        old = live.checkout(value, invoice_id=f"INV-{days}")
    live.refund(old["id"], "40.00")
    live.control("POST", "/withdrawals", {"amount": "100.00", "fee": "0.25"})

    # Live activity, delivered as webhooks as it happens.
    _at(live, None)
    live.control("PUT", "/config", {"send_webhooks": True})
    kept = live.checkout("150.00")
    live.refund(kept["id"], "15.00")
    live.refund(kept["id"], "35.00")
    gone = live.checkout("70.00")
    live.refund(gone["id"])
    disputed = live.checkout("45.00")
    live.control("POST", "/disputes", {"capture_id": disputed["id"]})
    live.control("POST", f"/captures/{disputed['id']}/reverse", {"fee": "20.00"})
    live.checkout("90.00", "EUR")
    live.control("PUT", "/config", {"capture_status": "PENDING"})
    cleared, bounced = live.checkout("33.00"), live.checkout("12.00")
    live.control("POST", f"/captures/{cleared['id']}/complete")
    live.control("POST", f"/captures/{bounced['id']}/deny")
    live.control("PUT", "/config", {"capture_status": "COMPLETED", "fee_percent": "0",
                                    "fee_fixed": "0"})
    live.checkout("5.00")
    live.control("POST", "/fees", {"amount": "3.00"})
    live.control("POST", "/withdrawals", {"amount": "250.00"})
    live.control("POST", "/withdrawals", {"amount": "20.00", "status": "P"})

    work(ledger)
    (backfill,) = poll_connection(ledger.engine, paypal, since=now - dt.timedelta(days=45))
    assert backfill.error is None
    work(ledger)

    with ledger.engine.connect() as conn:
        statuses = list(conn.execute(select(inbox.c.status)).scalars())
    assert set(statuses) <= {"posted", "ignored"}, statuses

    rows = live.control("GET", "/transactions")
    settled = [r for r in rows if r["status"] == "S"]
    assert balance(ledger, "1150") == sum(r["amount"] + r["fee"] for r in settled
                                          if r["currency"] == "USD")
    assert balance(ledger, "1160") == -sum(r["amount"] for r in settled if r["code"] == "T0400")
    assert balance(ledger, "6800") == 4500 + 2000
