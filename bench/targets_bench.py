"""Push benchmark: invoices with their payments pushed to QuickBooks and Xero emulators.

Each emulator runs on a real port with a calls-per-minute limit like the vendor's
(``--per-minute``, both; Intuit allows 500 a minute per company, Xero 60 a minute
per organisation, which would make 10,000 invoices a matter of hours: the limit is
raised and the figure that counts is the ratio). ``--n`` invoices are pushed, each
followed by a payment of it, through the connectors' own writers (lookup before
create, idempotency keys); a 429 waits what the answer asks (Xero's Retry-After)
or a second, then the same command is sent again, as the outbox would.

The baseline, measured in the same run, is the ceiling the limit allows: a rolling
minute admits ``--per-minute`` calls, so a run of T seconds may make at most that
many per started minute; with the API calls one pushed pair takes (counted on the
emulator) that is the ceiling in pairs. Printed per target: pairs pushed, API
calls, 429s, seconds, pairs a minute, the ceiling's pairs a minute, and pushed /
ceiling (1.00: every call the limit allowed was used). Runs shorter than a minute
say nothing about the limit: push enough for several minutes.

    python bench/targets_bench.py [--n 10000] [--per-minute 6000]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.base import WriteResult
from ledgerbridge.connectors.quickbooks import emulator as qbo_emulator
from ledgerbridge.connectors.xero import emulator as xero_emulator
from ledgerbridge.connectors.xero.client import RateLimited
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.sync.connections import add_connection, get_connection
from ledgerbridge.sync.errors import RetriableError

SECRET = "bench-client-secret"
console = Console(width=140)


@dataclass
class Outcome:
    """What pushing to one target did."""

    target: str
    pairs: int
    calls: int
    refused: int
    seconds: float
    per_minute: int

    @property
    def pairs_per_minute(self) -> float:
        """Invoice-and-payment pairs pushed a minute."""
        return self.pairs * 60 / self.seconds

    @property
    def ceiling(self) -> float:
        """Pairs a minute the limit allowed over the run, at the calls one pair took."""
        allowed = self.per_minute * math.ceil(self.seconds / 60)
        return allowed / (self.calls / self.pairs) * 60 / self.seconds


@contextmanager
def _ledger() -> Iterator[Ledger]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        yield Ledger.create(engine, name="Bench Co", currency="USD", chart=standard_chart())
        engine.dispose()


def _send(write: Callable[[], WriteResult], refused: list[int]) -> WriteResult:
    """Send a command until it is not refused for the rate limit."""
    while True:
        try:
            return write()
        except RateLimited as exc:
            refused[0] += 1
            time.sleep(exc.retry_after)
        except RetriableError:
            refused[0] += 1
            time.sleep(1.0)


def _push(target: str, n: int, per_minute: int, write: Callable[[str, dict], WriteResult],
          calls: Callable[[], int], payloads: Callable[[int, str | None], tuple[dict, dict]]
          ) -> Outcome:
    refused = [0]
    start = time.perf_counter()
    with Progress(TextColumn(target), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task(target, total=n)
        for k in range(n):
            invoice, payment = payloads(k, None)
            pushed = _send(lambda p=invoice: write("push_invoice", p), refused)
            _, payment = payloads(k, pushed.external_id)
            _send(lambda p=payment: write("push_payment", p), refused)
            bar.advance(task)
    return Outcome(target, n, calls(), refused[0], time.perf_counter() - start, per_minute)


def quickbooks(n: int, per_minute: int) -> Outcome:
    """Push to the QuickBooks emulator."""
    options = SandboxOptions(api_key=SECRET, webhook_secret="bench-verifier")
    app = qbo_emulator.create_emulator(options, per_minute=per_minute)
    company = app.state.company
    customer = company.save("Customer", {"DisplayName": "Bench Customer"})["Id"]

    def payloads(k: int, invoice_id: str | None) -> tuple[dict, dict]:
        invoice = {"external_id": f"B-{k}", "customer_id": customer,
                   "issue_date": "2026-11-03", "idempotency_key": f"inv-{k}",
                   "lines": [{"description": "Service", "amount": "100.00"}]}
        payment = {"external_id": f"P-{k}", "customer_id": customer, "date": "2026-11-20",
                   "amount": "100.00", "invoice_id": invoice_id, "idempotency_key": f"pay-{k}"}
        return invoice, payment

    with serve_in_thread(app) as url, _ledger() as ledger:
        add_connection(ledger.engine, "books", "quickbooks", settings={
            "realm_id": qbo_emulator.REALM_ID, "client_id": qbo_emulator.CLIENT_ID,
            "client_secret": SECRET, "verifier_token": "bench-verifier", "base_url": url,
            "token_url": f"{url}/oauth2/v1/tokens/bearer"})
        connector = _connector(ledger, "books")
        connector.authorize(company.issue_code())
        company.admitted = 0
        return _push("quickbooks", n, per_minute, connector.write,
                     lambda: company.admitted, payloads)


def xero(n: int, per_minute: int) -> Outcome:
    """Push to the Xero emulator."""
    options = SandboxOptions(api_key=SECRET, webhook_secret="bench-webhook-key")
    app = xero_emulator.create_emulator(options)
    state = app.state.xero
    state.limits.per_minute, state.limits.per_day = per_minute, 10 * n + 1000
    counted = [0]
    taken = state.limits.take

    def take(tenant: str) -> dict[str, str]:
        headers = taken(tenant)  # refused calls raise before being counted
        counted[0] += 1
        return headers

    state.limits.take = take

    def payloads(k: int, _pushed: str | None) -> tuple[dict, dict]:
        source = {"connection": "shop", "object_type": "invoice", "external_id": f"inv_{k}"}
        invoice = {"type": "invoice", "source": source, "number": f"B-{k}",
                   "customer": {"external_id": "cus_1", "name": "Bench Customer"},
                   "currency": "USD", "issue_date": "2026-11-03", "idempotency_key": f"i{k}",
                   "lines": [{"description": "Service", "quantity": "1",
                              "unit_price": "100.00"}]}
        payment = {"type": "payment", "idempotency_key": f"p{k}",
                   "source": {"connection": "shop", "object_type": "payment",
                              "external_id": f"pay_{k}"},
                   "direction": "received", "date": "2026-11-20", "amount": "100.00",
                   "currency": "USD", "method": "bank_transfer",
                   "applications": [{"document": {"external_id": f"inv_{k}"},
                                     "amount": "100.00"}]}
        return invoice, payment

    with serve_in_thread(app) as url, _ledger() as ledger:
        consent = httpx.post(f"{url}/_emulator/consent").json()
        add_connection(ledger.engine, "xero", "xero", settings={
            "client_id": xero_emulator.CLIENT_ID, "client_secret": SECRET,
            "refresh_token": consent["refresh_token"], "base_url": url,
            "identity_url": url, "webhook_key": "bench-webhook-key"})
        connector = _connector(ledger, "xero")
        connector.client.session.access_token()
        connector.client.tenant_id  # noqa: B018 - resolved once, before the clock starts
        counted[0] = 0
        return _push("xero", n, per_minute, connector.write, lambda: counted[0], payloads)


def _connector(ledger: Ledger, name: str):  # noqa: ANN202 - the connection's connector
    with ledger.engine.connect() as conn:
        return get_connection(conn, name).connector()


def main() -> None:
    """Run both targets and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="invoices (each with a payment)")
    parser.add_argument("--per-minute", type=int, default=6000,
                        help="API calls a minute each emulator allows")
    args = parser.parse_args()
    outcomes = [quickbooks(args.n, args.per_minute), xero(args.n, args.per_minute)]
    table = Table("target", "pairs", "API calls", "calls/pair", "429s", "seconds",
                  "pairs/min", "ceiling pairs/min", "pushed / ceiling")
    for o in outcomes:
        table.add_row(o.target, str(o.pairs), str(o.calls), f"{o.calls / o.pairs:.1f}",
                      str(o.refused), f"{o.seconds:.1f}", f"{o.pairs_per_minute:.0f}",
                      f"{o.ceiling:.0f}", f"{o.pairs_per_minute / o.ceiling:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
