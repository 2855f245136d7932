"""The sales loop end to end, through the vendors' own SDK and emulators over HTTP.

A deal won in the CRM becomes an invoice and the CRM shows "Invoiced"; the customer
pays it by card (a Stripe charge naming the invoice number); the ledger marks the
invoice paid and the CRM shows "Paid" with the date. Each system runs as a real
HTTP server sending signed webhooks to the real gateway.
"""

from __future__ import annotations

import stripe

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.stripe.account import Account
from ledgerbridge.connectors.stripe.emulator import create_emulator
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.outbox import deliver_due
from tests.connectors.hubspot.conftest import _emulated, connect
from tests.connectors.hubspot.helpers import current, work
from tests.connectors.stripe.conftest import API_KEY, WEBHOOK_SECRET, balances
from tests.sync.conftest import gateway  # noqa: F401  (the real gateway on the test database)

STATUS = """
writeback:
  - {on: invoice.open, connection: source, command: set_invoice_status}
  - {on: invoice.partially_paid, connection: source, command: set_invoice_status}
  - {on: invoice.paid, connection: source, command: set_invoice_status}
"""


def deal_status(hub, deal_id):
    properties = hub.portal.records["deals"][deal_id]["properties"]
    return (properties.get("invoice_status"), properties.get("invoice_amount_due"),
            properties.get("invoice_paid_date"))


def test_won_deal_is_invoiced_paid_by_card_and_shown_paid_in_the_crm(ledger, gateway):  # noqa: F811
    options = SandboxOptions(API_KEY, f"{gateway}/webhooks/stripe", WEBHOOK_SECRET, seed=3)
    with _emulated(webhook_url=f"{gateway}/webhooks/hs") as hub, \
            serve_in_thread(create_emulator(options, Account(seed=3))) as stripe_url:
        connect(ledger, hub, mapping=STATUS)
        add_connection(ledger.engine, "stripe", "stripe", settings={
            "api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET, "base_url": stripe_url})

        deal_id = hub.deal()
        hub.move(deal_id, "closedwon")
        work(ledger)
        invoice = current(ledger, "invoice")[deal_id]
        assert (invoice["number"], invoice["total"]) == (f"INV-{deal_id}", "1250.00")
        assert deliver_due(ledger.engine) == 1
        assert deal_status(hub, deal_id) == ("Invoiced", "1250.00", "")

        cards = stripe.StripeClient(API_KEY, base_addresses={"api": stripe_url},
                                    max_network_retries=0)
        cards.v1.charges.create(params={"amount": 50000, "currency": "usd",
                                        "metadata": {"invoice": f"INV-{deal_id}"}})
        work(ledger)
        assert deliver_due(ledger.engine) == 1
        assert deal_status(hub, deal_id)[:2] == ("Partially paid", "750.00")

        charge = cards.v1.charges.create(params={"amount": 75000, "currency": "usd",
                                                 "metadata": {"invoice": f"INV-{deal_id}"}})
        work(ledger)
        assert deliver_due(ledger.engine) == 1
        status, due, paid_on = deal_status(hub, deal_id)
        assert (status, due) == ("Paid", "0.00") and paid_on

    books = balances(ledger)
    assert "1100" not in books  # the receivable is settled
    fees = 2 * 30 + (50000 * 29 + 500) // 1000 + (75000 * 29 + 500) // 1000
    assert books["1150"] == 125000 - fees  # card money waits in clearing for the payout
    assert charge.metadata["invoice"] == f"INV-{deal_id}"
