"""The generated company, run through the vendor emulators instead of canonical documents.

``run_company_emulated(ledger, seed)`` walks the same quarter :func:`company_documents`
generates and replays it, day by day, into local emulators of the company's tools,
each over real HTTP in that vendor's own wire shapes:

- HubSpot: a company per customer; each won deal with its line item (the ledger
  invoices it as ``INV-<deal id>``).
- Stripe: a card charge per card payment, naming the HubSpot invoice in its metadata;
  a payout on each payout day of the whole available balance, settled two days later.
- Shopify: each paid shop order (shipped to New York, taxed by the shop) and its refund,
  and a Shopify Payments payout on each payout day. Without Shopify, the shop's
  orders are card sales through Stripe and their refunds Stripe refunds.
- Ramp: the software subscriptions (``CARD_VENDORS``' monthly bills) paid by company
  card, each a cleared card transaction coded to the bill's expense account.
- Gusto: the employees and a payroll run each month.
- Plaid: the checking account's lines: customer transfers, each Stripe payout's
  and Shopify payout's deposit (its exact amount) and Gusto's net pay and tax debits
  (Gusto's figures).

Stripe's and the shop's clocks follow the generated days, so every object carries its
company date. The other vendor bills are left out: no bill system is emulated here.

One connection per system (``company-<system>``) is pointed at its emulator, polled
through the real scheduler and posted by the real worker; reconciliation then
matches the bank lines. The same seed gives the same objects, ids and ledger; a
second run on the same database stores the same object versions again, so nothing
new is posted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.gusto.company import CompanyState
from ledgerbridge.connectors.gusto.emulator import COMPANY_UUID
from ledgerbridge.connectors.gusto.emulator import create_emulator as gusto_emulator
from ledgerbridge.connectors.gusto.normalize import reference as gusto_reference
from ledgerbridge.connectors.hubspot.emulator import create_emulator as hubspot_emulator
from ledgerbridge.connectors.plaid.emulator import sandbox_app as plaid_emulator
from ledgerbridge.connectors.ramp.emulator import CLIENT_ID as RAMP_CLIENT
from ledgerbridge.connectors.ramp.emulator import create_emulator as ramp_emulator
from ledgerbridge.connectors.ramp.normalize import GL_ACCOUNT
from ledgerbridge.connectors.shopify.emulated_shop import EmulatedShop
from ledgerbridge.connectors.shopify.emulator import SHOP_DOMAIN
from ledgerbridge.connectors.shopify.emulator import create_emulator as shopify_emulator
from ledgerbridge.connectors.stripe.account import Account
from ledgerbridge.connectors.stripe.emulator import create_emulator as stripe_emulator
from ledgerbridge.ledger import Ledger
from ledgerbridge.money import Money, format_minor
from ledgerbridge.reconcile import run as reconcile
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.sandbox.company import (
    BANK_ACCOUNT,
    CURRENCY,
    EMPLOYEES,
    QUARTER_START,
    company_documents,
)
from ledgerbridge.sandbox.emulators import SandboxOptions
from ledgerbridge.store.tables import bank_lines, connections, inbox, journal_entries
from ledgerbridge.sync.connections import ConnectionRecord, add_connection, get_connection
from ledgerbridge.sync.scheduler import poll_connection
from ledgerbridge.sync.worker import Worker

__all__ = ["SYSTEMS", "SystemRun", "run_company_emulated", "summary_report"]

SYSTEMS = ("hubspot", "stripe", "shopify", "ramp", "gusto", "plaid")
"""The systems the company runs through, in the order their connections are polled."""

CRM_TOKEN, CRM_SECRET = "pat-company-token", "hubspot-company-secret"
STRIPE_KEY = "sk_test_company"
SHOP_TOKEN = "shpat_company_token"
RAMP_SECRET = "ramp-company-secret"
CARD_VENDORS = ("Cloudhost Inc", "Slack")
"""Vendors whose bills the company card pays when Ramp is emulated."""
GUSTO_TOKEN, GUSTO_VERIFICATION = "gusto-company-token", "gusto-company-verification"
BANK_SECRET = "plaid-company-secret"
_NOON = dt.time(12, tzinfo=dt.UTC)
_SHOP_OPENS = dt.time(10, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # New York
_SHIPPED_TO = {"country_code": "US", "province_code": "NY"}
"""Where the shop's orders go: a place the emulated shop has tax rates for."""
_EXCEPTIONS = ("waiting", "failed", "dead")
"""Inbox states that need someone's attention."""


@dataclass(frozen=True, slots=True)
class SystemRun:
    """What one system's connection did with the generated company.

    Attributes:
        system: the emulated system.
        connection: the connection that read it.
        seeded: objects created in the emulator.
        events: inbox events of the connection this run posted.
        entries: journal entries naming the connection this run posted.
        exceptions: events waiting, failed or dead; for the bank also lines not yet
            reconciled (open now, whichever run brought them).

    """

    system: str
    connection: str
    seeded: int
    events: int
    entries: int
    exceptions: int


@dataclass
class _StripeClock:
    """Stripe's clock, moved to each generated day as the company lives through it."""

    now: dt.datetime = dt.datetime.combine(QUARTER_START, _NOON)

    def __call__(self) -> float:
        """The current company time as a Unix timestamp."""
        return self.now.timestamp()

    def move(self, day: dt.date) -> None:
        """Go to noon of ``day`` (the clock never goes back)."""
        self.now = max(self.now, dt.datetime.combine(day, _NOON))


def _text(cents: int) -> str:
    return format_minor(cents, CURRENCY)


def _cents(text: str) -> int:
    return Money.parse(text, CURRENCY).minor


@dataclass
class _Company:
    """The emulators of one run and what was seeded into them."""

    systems: tuple[str, ...]
    http: httpx.Client
    urls: dict[str, str] = field(default_factory=dict)
    clock: _StripeClock = field(default_factory=_StripeClock)
    seeded: dict[str, int] = field(default_factory=dict)
    companies: dict[str, str] = field(default_factory=dict)  # customer slug -> HubSpot id
    invoices: dict[str, str] = field(default_factory=dict)  # deal id -> invoice number
    charges: dict[str, str] = field(default_factory=dict)  # order id -> Stripe charge
    orders: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Order id -> the shop's order id, its total and the generated total, in cents."""
    shop_day: dt.date = QUARTER_START
    shop_moved: bool = False  # orders or refunds since the shop's last payout
    bank: dict[str, Any] = field(default_factory=dict)  # the Plaid Item

    def call(self, system: str, path: str, *, creates: bool = True,
             **kwargs: Any) -> dict[str, Any]:
        """POST to an emulator (``creates``: one more object seeded).

        A refusal is a ValueError naming the system, the path and the emulator's answer.
        """
        answer = self.http.post(f"{self.urls[system]}{path}", **kwargs)
        if answer.is_error:
            raise ValueError(f"{system} emulator refused {path}: {answer.status_code} "
                             f"{answer.text[:300]}")
        self.seeded[system] = self.seeded.get(system, 0) + creates
        return answer.json()

    def stripe(self, path: str, day: dt.date, data: dict[str, Any], *,
               creates: bool = True) -> dict[str, Any]:
        """A Stripe API call made on ``day``."""
        self.clock.move(day)
        return self.call("stripe", path, creates=creates, data=data,
                         headers={"authorization": f"Bearer {STRIPE_KEY}"})

    def bank_line(self, day: dt.date, cents: int, name: str, merchant: str) -> None:
        """A posted line on the checking account (positive: money in)."""
        if "plaid" not in self.systems:
            return
        self.call("plaid", "/_emulator/transactions/add", json={
            "client_id": self.bank["client_id"], "secret": BANK_SECRET,
            "access_token": self.bank["access_token"], "webhook": False,
            "amount": _text(-cents), "date": day.isoformat(), "name": name,
            "merchant_name": merchant})

    # -- one document at a time -------------------------------------------------------

    def contact(self, doc: dict[str, Any]) -> None:
        """A customer becomes a HubSpot company (vendors have no system here)."""
        if doc["kind"] != "customer" or "hubspot" not in self.systems:
            return
        made = self.call("hubspot", "/_emulator/objects/companies", json={
            "properties": {"name": doc["name"],
                           "domain": f"{doc['source']['external_id']}.example"}})
        self.companies[doc["source"]["external_id"]] = made["id"]

    def deal(self, doc: dict[str, Any]) -> None:
        """A won deal with its one line item, under its customer's company."""
        if "hubspot" not in self.systems:
            return
        deal = self.call("hubspot", "/_emulator/objects/deals", json={
            "properties": {"dealname": doc["name"], "amount": doc["amount"],
                           "dealstage": "closedwon", "pipeline": "default",
                           "closedate": f"{doc['close_date']}T00:00:00.000Z",
                           "deal_currency_code": doc["currency"]},
            "associations": {"companies": [self.companies[doc["company"]["external_id"]]]}})
        self.call("hubspot", "/_emulator/objects/line_items", json={
            "properties": {"name": doc["name"].split(" for ")[0], "quantity": "1",
                           "price": doc["amount"]},
            "associations": {"deals": [deal["id"]]}})
        self.invoices[doc["source"]["external_id"]] = f"INV-{deal['id']}"

    def payment(self, doc: dict[str, Any]) -> None:
        """A card payment through Stripe, or a customer's transfer on the bank feed."""
        day = dt.date.fromisoformat(doc["date"])
        cents = _cents(doc["amount"])
        if doc.get("processor") == "stripe":
            if "stripe" not in self.systems:
                return
            data = {"amount": cents, "currency": doc["currency"].lower(),
                    "description": doc["contact"]["name"]}
            invoice = self.invoices.get(doc["applications"][0]["document"]["external_id"])
            if invoice is not None:
                data["metadata[invoice]"] = invoice
            self.stripe("/v1/charges", day, data)
        elif doc.get("direction") != "sent":  # bills and their payments are not emulated
            name = doc["contact"]["name"]
            invoice = self.invoices.get(doc["applications"][0]["document"]["external_id"], "")
            self.bank_line(day, cents, f"TRANSFER FROM {name.upper()} {invoice}".strip(), name)

    def shop(self, path: str, day: dt.date, body: dict[str, Any]) -> dict[str, Any]:
        """A change in the shop made on ``day`` (the shop's clock moves on to it first)."""
        if day > self.shop_day:
            self.call("shopify", "/_control/clock", creates=False,
                      params={"days": (day - self.shop_day).days})
            self.shop_day = day
        self.shop_moved = True
        return self.call("shopify", f"/_control/{path}", json=body)

    def order(self, doc: dict[str, Any]) -> None:
        """A paid shop order: in Shopify, else a card sale through Stripe."""
        day = dt.date.fromisoformat(doc["order_date"])
        order_id = doc["source"]["external_id"]
        if "shopify" in self.systems:
            first, _, last = doc["customer"]["name"].partition(" ")
            made = self.shop("orders", day, {
                "line_items": [{"title": line["description"], "price": line["unit_price"],
                                "quantity": int(line["quantity"])} for line in doc["lines"]],
                "shipping": {"title": "Standard", "price": doc["shipping_total"]},
                "address": _SHIPPED_TO, "first_name": first, "last_name": last,
                "email": f"{doc['customer']['external_id']}@example.com"})["order"]
            self.orders[order_id] = (made["id"], _cents(made["total_price"]),
                                     _cents(doc["total"]))
        elif "stripe" in self.systems:
            charge = self.stripe("/v1/charges", day, {
                "amount": _cents(doc["total"]), "currency": doc["currency"].lower(),
                "description": f"Order {doc['number']}", "metadata[order]": order_id})
            self.charges[order_id] = charge["id"]

    def refund(self, doc: dict[str, Any]) -> None:
        """A refund of (part of) a shop order, in Shopify or through Stripe."""
        day = dt.date.fromisoformat(doc["date"])
        order_id, cents = doc["order"]["external_id"], _cents(doc["amount"])
        if order_id in self.orders:
            # The shop taxes shipping too: refund the same share of the shop's own total.
            shop_id, total, generated = self.orders[order_id]
            self.shop(f"orders/{shop_id}/refunds", day, {
                "amount": _text(total * cents // generated), "note": doc["reason"]})
        elif order_id in self.charges:
            self.stripe("/v1/refunds", day, {"charge": self.charges[order_id],
                                             "amount": cents, "reason": "requested_by_customer"})

    def payout(self, doc: dict[str, Any]) -> None:
        """Pay out each processor's balance; each lands on the bank feed as one deposit."""
        day = dt.date.fromisoformat(doc["date"])
        if "stripe" in self.systems:
            self._stripe_payout(day)
        if self.shop_moved:
            payout = self.shop("payouts", day, {})["payout"]
            self.shop_moved = False
            self.bank_line(dt.date.fromisoformat(payout["date"]), _cents(payout["amount"]),
                           "SHOPIFY PAYOUT", "Shopify")

    def _stripe_payout(self, day: dt.date) -> None:
        """Pay out Stripe's whole available balance, settled two days on."""
        self.clock.move(day)
        balance = self.http.get(f"{self.urls['stripe']}/v1/balance",
                                headers={"authorization": f"Bearer {STRIPE_KEY}"}).json()
        available = sum(b["amount"] for b in balance["available"])
        if available <= 0:
            return
        payout = self.stripe("/v1/payouts", day, {"amount": available, "currency": "usd"})
        arrival = dt.datetime.fromtimestamp(payout["arrival_date"], dt.UTC).date()
        self.stripe(f"/_emulator/payouts/{payout['id']}/settle", arrival, {"outcome": "paid"},
                    creates=False)
        self.bank_line(arrival, payout["amount"], "STRIPE TRANSFER", "Stripe")

    def bill(self, doc: dict[str, Any]) -> None:
        """A software subscription's bill, paid by company card in Ramp."""
        if "ramp" not in self.systems or doc["vendor"]["name"] not in CARD_VENDORS:
            return
        (line,) = doc["lines"]
        self.call("ramp", "/_emulator/transactions", json={
            "amount": line["amount"], "currency_code": doc["currency"],
            "merchant_name": doc["vendor"]["name"], "merchant_category_code": "5734",
            "card_holder": "Office Manager", "memo": line["description"],
            "user_transaction_time": f"{doc['issue_date']}T12:00:00+00:00",
            "state": "CLEARED",
            "accounting_categories": [{"tracking_category_remote_type": GL_ACCOUNT,
                                       "category_name": line["account"]}]})

    def payroll_run(self, doc: dict[str, Any]) -> None:
        """The month's payroll in Gusto; its net pay and tax debits on the bank feed."""
        if "gusto" not in self.systems:
            return
        payroll = self.call("gusto", "/_emulator/payrolls", json={
            "start_date": doc["period_start"], "end_date": doc["period_end"],
            "check_date": doc["pay_date"]})
        debit_day = dt.date.fromisoformat(doc["pay_date"]) - dt.timedelta(days=2)
        ref = gusto_reference(payroll["uuid"])
        totals = payroll["totals"]
        self.bank_line(debit_day, -_cents(totals["net_pay_debit"]), f"GUSTO NET {ref} CCD",
                       "Gusto")
        self.bank_line(debit_day, -_cents(totals["tax_debit"]), f"GUSTO TAX {ref} CCD",
                       "Gusto")


_SEEDERS: dict[str, Callable[[_Company, dict[str, Any]], None]] = {
    "contact": _Company.contact, "deal": _Company.deal, "payment": _Company.payment,
    "order": _Company.order, "refund": _Company.refund, "payout": _Company.payout,
    "bill": _Company.bill, "payroll_run": _Company.payroll_run}
"""What each generated document type becomes in the emulators (bank lines follow
from the movements, so the generator's own bank transactions are not replayed)."""


def _gusto_company(seed: int) -> CompanyState:
    """The generator's employees, hired in Gusto at their monthly gross."""
    company = CompanyState(COMPANY_UUID, seed=seed)
    for employee, gross in EMPLOYEES:
        company.add_employee("Employee", employee.upper(), "Operations", _text(gross))
    return company


@contextmanager
def _emulators(systems: tuple[str, ...], seed: int, start: dt.date) -> Iterator[_Company]:
    """Serve the chosen emulators on local ports for the length of the block."""
    with ExitStack() as stack:
        company = _Company(systems, stack.enter_context(httpx.Client(timeout=30)),
                           clock=_StripeClock(dt.datetime.combine(start, _NOON)),
                           shop_day=start)
        shop = EmulatedShop(seed, CURRENCY, start=dt.datetime.combine(start, _SHOP_OPENS))
        apps = {
            "hubspot": lambda: hubspot_emulator(SandboxOptions(CRM_TOKEN, None, CRM_SECRET)),
            "stripe": lambda: stripe_emulator(SandboxOptions(STRIPE_KEY, seed=seed),
                                              Account(seed=seed, clock=company.clock)),
            "shopify": lambda: shopify_emulator(SandboxOptions(SHOP_TOKEN, seed=seed),
                                                shop=shop),
            "ramp": lambda: ramp_emulator(SandboxOptions(RAMP_SECRET)),
            "gusto": lambda: gusto_emulator(SandboxOptions(GUSTO_TOKEN, None,
                                                           GUSTO_VERIFICATION),
                                            _gusto_company(seed)),
            "plaid": lambda: plaid_emulator(SandboxOptions(BANK_SECRET, seed=seed)),
        }
        for system in systems:
            company.urls[system] = stack.enter_context(serve_in_thread(apps[system]()))
        if "plaid" in systems:
            state = company.http.get(f"{company.urls['plaid']}/_emulator/state").json()
            company.bank = {"client_id": state["client_id"], **state["default_item"]}
        yield company


def _settings(company: _Company, system: str) -> dict[str, Any]:
    """Connection settings pointing at the system's emulator."""
    url = company.urls[system]
    if system == "hubspot":
        return {"access_token": CRM_TOKEN, "client_secret": CRM_SECRET, "base_url": url}
    if system == "stripe":
        return {"api_key": STRIPE_KEY, "base_url": url}
    if system == "shopify":
        return {"shop": SHOP_DOMAIN, "base_url": url, "access_token": SHOP_TOKEN}
    if system == "ramp":
        return {"client_id": RAMP_CLIENT, "client_secret": RAMP_SECRET, "base_url": url}
    if system == "gusto":
        return {"access_token": GUSTO_TOKEN, "company_uuid": COMPANY_UUID,
                "verification_token": GUSTO_VERIFICATION, "base_url": url}
    bank = company.bank  # the Item's first account is the checking account
    return {"client_id": bank["client_id"], "secret": BANK_SECRET,
            "access_token": bank["access_token"], "item_id": bank["item_id"], "base_url": url,
            "accounts": {a: (BANK_ACCOUNT if i == 0 else None)
                         for i, a in enumerate(bank["accounts"])}}


def _connection(ledger: Ledger, company: _Company, system: str) -> ConnectionRecord:
    """The system's connection, made on the first run, pointed at this run's emulator.

    The emulator listens on a new port each run: a connection made by an earlier
    run is read through a copy of its record with this run's settings; the stored
    connection is left as it is.
    """
    name = f"company-{system}"
    settings = _settings(company, system)
    with ledger.engine.connect() as conn:
        known = conn.execute(select(connections.c.id).where(connections.c.name == name)).first()
        record = None if known is None else get_connection(conn, name)
    if record is None:
        return add_connection(ledger.engine, name, system, entity=ledger.entity.code,
                              settings=settings)
    if record.system != system:
        raise ValueError(f"connection {name!r} is a {record.system} connection, not {system}")
    if record.entity != ledger.entity.code:
        raise ValueError(f"connection {name!r} posts into entity {record.entity!r}, "
                         f"not {ledger.entity.code!r}")
    return dataclasses.replace(record, settings=settings, secrets={})


def _counts(ledger: Ledger, record: ConnectionRecord) -> tuple[int, int, int]:
    """The connection's events posted, entries posted and open exceptions so far."""
    with ledger.engine.connect() as conn:
        states = dict(conn.execute(select(inbox.c.status, func.count()).where(
            inbox.c.connection_id == record.id).group_by(inbox.c.status)).all())
        entries = conn.execute(select(func.count()).select_from(journal_entries).where(
            journal_entries.c.connection == record.name)).scalar_one()
        exceptions = sum(states.get(s, 0) for s in _EXCEPTIONS)
        if record.system == "plaid":
            exceptions += conn.execute(select(func.count()).select_from(bank_lines).where(
                bank_lines.c.entity_id == record.entity_id,
                bank_lines.c.status != "reconciled")).scalar_one()
    return states.get("posted", 0), entries, exceptions


def run_company_emulated(ledger: Ledger, seed: int, *, start: dt.date = QUARTER_START,
                         systems: Sequence[str] = SYSTEMS,
                         progress: Callable[[str, int, int], None] | None = None,
                         ) -> list[SystemRun]:
    """Seed the emulators with the generated quarter, sync every connection, reconcile.

    ``progress(step, done, total)`` is told how far seeding and syncing are.
    """
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise ValueError(f"no emulated company for {', '.join(unknown)} "
                         f"(systems: {', '.join(SYSTEMS)})")
    chosen = tuple(s for s in SYSTEMS if s in systems)
    if not chosen:
        raise ValueError(f"name at least one system ({', '.join(SYSTEMS)})")
    documents = company_documents(seed, start)
    tell = progress or (lambda step, done, total: None)
    with _emulators(chosen, seed, start) as company:
        for done, doc in enumerate(documents, 1):
            seed_one = _SEEDERS.get(doc["type"])
            if seed_one is not None:
                seed_one(company, doc)
            tell("seeding the emulators", done, len(documents))
        worker = Worker(ledger.engine)
        records = [_connection(ledger, company, system) for system in chosen]
        before = {r.name: _counts(ledger, r) for r in records}
        for done, record in enumerate(records, 1):
            for result in poll_connection(ledger.engine, record):
                if result.error:
                    raise ValueError(f"{record.name}: reading {result.stream} failed: "
                                     f"{result.error}")
            worker.run_until_idle()
            tell(f"syncing {record.name}", done, len(chosen))
    if "plaid" in chosen:
        reconcile(ledger, account=BANK_ACCOUNT)
    runs = []
    for record in records:
        (events, entries, _), (events_now, entries_now, exceptions) = \
            before[record.name], _counts(ledger, record)
        runs.append(SystemRun(record.system, record.name, company.seeded.get(record.system, 0),
                              events_now - events, entries_now - entries, exceptions))
    return runs


def summary_report(runs: Sequence[SystemRun], seed: int) -> Report:
    """The per-system summary as a report (table, CSV or JSON)."""
    columns = (Column("system", "System"), Column("connection", "Connection"),
               Column("seeded", "Objects seeded", ColumnKind.INT),
               Column("events", "Events applied", ColumnKind.INT),
               Column("entries", "Entries posted", ColumnKind.INT),
               Column("exceptions", "Exceptions", ColumnKind.INT))
    rows = [dataclasses.asdict(r) for r in runs]
    totals = {k: sum(r[k] for r in rows) for k in ("seeded", "events", "entries", "exceptions")}
    return Report("Generated company through the emulators", columns, rows, CURRENCY,
                  subtitle=f"seed {seed}", totals=totals)
