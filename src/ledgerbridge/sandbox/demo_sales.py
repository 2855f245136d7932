"""The demo's third act: the sales loop, with HubSpot, Stripe and the bank emulated.

A deal is won in the CRM; the ledger invoices it and the deal shows "Invoiced". The
customer pays by card through Stripe, naming the invoice number; the ledger marks
the invoice paid and the deal shows "Paid". Stripe pays the money out; the deposit
arrives on the live bank feed (Plaid's model) and reconciliation matches it to the
payout. Every system is a real HTTP server sending signed webhooks to the real
gateway; each step is printed with its time.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import ExitStack

import httpx
from rich.console import Console
from rich.table import Table

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.hubspot.emulator import create_emulator as hubspot_emulator
from ledgerbridge.connectors.plaid.emulator import sandbox_app as bank_emulator
from ledgerbridge.connectors.stripe.emulator import create_emulator as stripe_emulator
from ledgerbridge.ledger import Ledger
from ledgerbridge.money import Money
from ledgerbridge.reconcile.payouts import check_payouts
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.outbox import deliver_due
from ledgerbridge.sync.worker import Worker

__all__ = ["run_sales_demo"]

CRM_TOKEN, CRM_SECRET = "pat-demo-token", "hubspot-demo-secret"
STRIPE_KEY, STRIPE_SECRET = "sk_test_demo", "whsec_demo"
BANK_SECRET = "plaid-demo-secret"
STATUS_WRITEBACKS = "writeback:\n" + "".join(
    f"  - {{on: invoice.{state}, connection: source, command: set_invoice_status}}\n"
    for state in ("open", "partially_paid", "paid"))


class _Crm:
    """The emulated HubSpot account, driven as a salesperson would."""

    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url, self.client = url, client

    def create(self, kind: str, associations: dict | None = None, **properties: str) -> str:
        answer = self.client.post(f"{self.url}/_emulator/objects/{kind}", json={
            "properties": properties, "associations": associations or {}})
        answer.raise_for_status()
        return answer.json()["id"]

    def deal_status(self, deal_id: str) -> str:
        answer = self.client.get(f"{self.url}/crm/v3/objects/deals/{deal_id}", params={
            "properties": "invoice_status,invoice_number,invoice_amount_due"},
            headers={"authorization": f"Bearer {CRM_TOKEN}"})
        properties = answer.json()["properties"]
        if not properties.get("invoice_status"):
            return "(no invoice yet)"
        return (f"{properties['invoice_status']} {properties.get('invoice_number') or ''}, "
                f"due {properties.get('invoice_amount_due')}")


def run_sales_demo(ledger: Ledger, console: Console) -> None:
    """Run the loop and print each step with its time and what the CRM shows."""
    entity = ledger.entity.code
    worker = Worker(ledger.engine)
    steps = Table("time", "step", "ledger", "the deal in HubSpot", title="The sales loop")

    def settle(step: str, ledger_says: str) -> None:
        worker.run_until_idle()
        deliver_due(ledger.engine)
        steps.add_row(dt.datetime.now().strftime("%H:%M:%S.%f")[:-3], step, ledger_says,
                      crm.deal_status(deal))

    with ExitStack() as stack:
        gateway = stack.enter_context(serve_in_thread(create_app(ledger.engine)))
        crm_url = stack.enter_context(serve_in_thread(hubspot_emulator(SandboxOptions(
            CRM_TOKEN, f"{gateway}/webhooks/hubspot", CRM_SECRET))))
        stripe_url = stack.enter_context(serve_in_thread(stripe_emulator(SandboxOptions(
            STRIPE_KEY, f"{gateway}/webhooks/stripe", STRIPE_SECRET, seed=11))))
        bank_url = stack.enter_context(serve_in_thread(bank_emulator(SandboxOptions(
            BANK_SECRET, f"{gateway}/webhooks/bank", seed=11))))
        client = stack.enter_context(httpx.Client(timeout=30))
        add_connection(ledger.engine, "hubspot", "hubspot", entity=entity,
                       mapping=STATUS_WRITEBACKS, settings={
                           "access_token": CRM_TOKEN, "client_secret": CRM_SECRET,
                           "base_url": crm_url})
        add_connection(ledger.engine, "stripe", "stripe", entity=entity, settings={
            "api_key": STRIPE_KEY, "webhook_secret": STRIPE_SECRET, "base_url": stripe_url})
        bank = client.get(f"{bank_url}/_emulator/state").json()
        item = bank["default_item"]
        add_connection(ledger.engine, "bank", "plaid", entity=entity, settings={
            "client_id": bank["client_id"], "secret": BANK_SECRET,
            "access_token": item["access_token"], "item_id": item["item_id"],
            "base_url": bank_url,  # the first account is the checking account, 1010
            "accounts": {acct: ("1010" if i == 0 else None)
                         for i, acct in enumerate(item["accounts"])}})
        crm = _Crm(crm_url, client)
        company = crm.create("companies", name="Blue Harbor Cafe", domain="blueharbor.example")
        deal = crm.create("deals", {"companies": [company]}, dealname="Cafe fit-out",
                          amount="2400.00", dealstage="contractsent", pipeline="default",
                          closedate="2026-10-29T00:00:00.000Z", deal_currency_code="USD")
        crm.create("line_items", {"deals": [deal]}, name="Espresso bar", quantity="1",
                   price="2400.00")
        settle("deal created", "nothing to book yet")
        client.patch(f"{crm_url}/_emulator/objects/deals/{deal}",
                     json={"properties": {"dealstage": "closedwon"}}).raise_for_status()
        settle("deal won", f"invoice INV-{deal} posted: 2400.00 receivable")
        stripe_api = {"authorization": f"Bearer {STRIPE_KEY}"}
        paid_in = 0.0
        for cents in (100000, 140000):
            started = time.monotonic()
            client.post(f"{stripe_url}/v1/charges", headers=stripe_api, data={
                "amount": cents, "currency": "usd", "description": "Blue Harbor Cafe",
                "metadata[invoice]": f"INV-{deal}"}).raise_for_status()
            settle(f"card payment {Money(cents, 'USD').text()}",
                   "payment applied to the invoice, fee to 6600, net to clearing")
            paid_in = time.monotonic() - started
        payout = client.post(f"{stripe_url}/v1/payouts", headers=stripe_api, data={
            "amount": _available(client, stripe_url, stripe_api), "currency": "usd"}).json()
        client.post(f"{stripe_url}/_emulator/payouts/{payout['id']}/settle",
                    headers=stripe_api, data={"outcome": "paid"}).raise_for_status()
        settle(f"Stripe payout {Money(payout['amount'], 'USD').text()}",
               "clearing -> funds in transit (1160)")
        arrival = dt.datetime.fromtimestamp(payout["arrival_date"], dt.UTC).date()
        deposit = Money(payout["amount"], "USD").text()
        client.post(f"{bank_url}/_emulator/transactions/add", json={
            "client_id": bank["client_id"], "secret": BANK_SECRET,
            "access_token": item["access_token"], "amount": f"-{deposit}",  # negative: in
            "date": arrival.isoformat(), "name": "STRIPE TRANSFER",
            "merchant_name": "Stripe"}).raise_for_status()
        settle("deposit on the bank feed", "bank line stored and reconciled to the payout")
    payouts = check_payouts(ledger)
    landed = [c for c in payouts if c.landed_on is not None]
    console.print(steps)
    console.print(f"From the last card payment to \"Paid\" in HubSpot: {paid_in:.2f} s. "
                  f"Payouts landed in the bank: {len(landed)} of {len(payouts)}.",
                  highlight=False)


def _available(client: httpx.Client, url: str, headers: dict[str, str]) -> int:
    """The account's available balance in USD cents, all of which is paid out."""
    balance = client.get(f"{url}/v1/balance", headers=headers).json()
    return sum(b["amount"] for b in balance["available"] if b["currency"] == "usd")
