"""Anomaly benchmark: a year of vendor payments with planted anomalies of each kind.

Generates vendors (some on fixed monthly subscriptions, some with varying
bills), their bills, the payments of those bills as booked payments with the
matching bank debits (the same movement seen twice, which must not be flagged),
card-paid vendors, vendor contacts with IBANs, expense postings and ordinary
manual entries. Then plants, each labelled with the records it involves:

- duplicate_bill: the same vendor invoice entered again from another source;
- duplicate_payment: a bill paid twice (a second payment naming it), the same
  amount charged to a card days after the bank transfer, a bank debit repeated;
- unusual_amount: a bill and its payment many times the vendor's usual amount;
- bank_account_change: the vendor's IBAN changed days before a payment to it;
- unusual_account: one expense of a vendor posted to an account it never uses;
- round_or_weekend: large manual entries with round amounts or weekend dates.

Planted payments outside the normal year fall on dates no ordinary payment is near,
so the generator plants no unlabelled anomaly by chance. Everything is stored in a
real database and checked by ``anomalies.scan``, the
same code the CLI and the dashboard run. Reports precision and recall per kind
(a flag is right when it names a record of an anomaly planted of its kind) and
the scan's speed against a baseline measured in the same run: reading the same
records without checking them.

    python bench/anomaly_bench.py [--vendors 60] [--seed 7] [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import insert, select

from ledgerbridge.documents import Bill, Contact, Expense, Payment
from ledgerbridge.intelligence.anomalies import FlagKind, list_flags, scan
from ledgerbridge.intelligence.anomalies.sources import (
    bank_outflows,
    document_key,
    document_outflows,
    manual_entries,
    vendor_postings,
)
from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.money import Money
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    connections,
    documents,
    journal_lines,
)

CUR = "USD"
START = dt.date(2025, 1, 6)
NAMES = ("Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Soylent Tyrell Cyberdyne "
         "Wonka Oscorp Monarch Aperture Nakatomi Dunder Sterling Prestige Gekko Bluth "
         "Kramerica Virtucon Spacely Cogswell Zorg Weyland Northwind Contoso Fabrikam Litware "
         "Tailspin Wingtip Proseware Alpine Coho Lucerne Margie Trey Fourth Adatum Relecloud "
         "Woodgrove Wide Blue Yonder Humongous Graphic Southridge VanArsdel Lamna Nod "
         "Munson Treyresearch Bellows Consolidated Farpoint Ganymede Hyperion Ixion").split()
SUFFIX = ("Inc", "LLC", "Ltd", "Corp", "GmbH")
EXPENSE_ACCOUNTS = ("6200", "6250", "6300", "6450", "6500", "6150")
PLANTS = {FlagKind.DUPLICATE_BILL: 10, FlagKind.DUPLICATE_PAYMENT: 15,
          FlagKind.UNUSUAL_AMOUNT: 8, FlagKind.BANK_ACCOUNT_CHANGE: 6,
          FlagKind.UNUSUAL_ACCOUNT: 6, FlagKind.ROUND_OR_WEEKEND: 6}


def _iban(rng: random.Random) -> str:
    """A German IBAN with valid check digits."""
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    digits = "".join(str(int(c, 36)) for c in bban + "DE00")
    return f"DE{98 - int(digits) % 97:02d}{bban}"


class Books:
    """Generated records, as documents, bank lines and entries, with the planted labels."""

    def __init__(self, vendors: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.docs: list[tuple[str, str, str]] = []  # (connection, status, json)
        self.bank: list[dict] = []
        self.entries: list[Entry] = []
        self.planted: dict[FlagKind, list[set[str]]] = defaultdict(list)
        self.vendors = []
        for i in range(vendors):
            name = f"{NAMES[i % len(NAMES)]} {SUFFIX[i % len(SUFFIX)]}"
            if i >= len(NAMES):
                name = f"{NAMES[i % len(NAMES)]} {NAMES[(i * 7 + 3) % len(NAMES)]} Group"
            fixed = i % 3 == 0  # a subscription: the same amount every month
            self.vendors.append({
                "name": name, "fixed": fixed, "typical": self.rng.randint(8_000, 400_000),
                "iban": _iban(self.rng), "account": EXPENSE_ACCOUNTS[i % len(EXPENSE_ACCOUNTS)],
                "card": i % 5 == 4, "day": self.rng.randint(1, 26), "bills": []})
        self.count = 0

    @staticmethod
    def ref(v: dict) -> dict:
        """A reference to the vendor's contact."""
        return {"external_id": v["name"].lower(), "name": v["name"]}

    def _src(self, connection: str, kind: str) -> dict:
        self.count += 1
        return {"connection": connection, "object_type": kind,
                "external_id": f"{kind}-{self.count}"}

    def add(self, document, connection: str = "erp", status: str = "current") -> str:  # noqa: ANN001
        """Store a document; return its record key."""
        self.docs.append((connection, status, document.model_dump_json()))
        return document_key(document)

    def bill(self, v: dict, day: dt.date, amount: int, number: str | None = None,
             connection: str = "erp") -> tuple[str, Bill]:
        """A vendor bill, and its expense entry."""
        bill = Bill(source=self._src(connection, "bill"), vendor=self.ref(v),
                    number=number or f"{v['name'][:3].upper()}-{len(v['bills']) + 1000}",
                    issue_date=day, currency=CUR, lines=[{"amount": Money(amount, CUR)}])
        v["bills"].append(bill)
        return self.add(bill, connection), bill

    def expense_entry(self, v: dict, day: dt.date, amount: int, account: str | None = None
                      ) -> int:
        """The bill's posting; returns its index among the entries."""
        self.entries.append(Entry(day, (
            Line(account or v["account"], Money(amount, CUR)),
            Line("2010", Money(-amount, CUR), party=v["name"])), f"Bill {v['name']}"))
        return len(self.entries)

    def pay(self, v: dict, bill: Bill, day: dt.date, *, iban: str | None = None) -> list[str]:
        """Pay a bill: by card, or by transfer (booked payment + bank debit)."""
        amount = bill.total.minor
        if v["card"]:
            exp = Expense(source=self._src("cards", "expense"), date=day, vendor=self.ref(v),
                          payment_method="card", currency=CUR,
                          lines=[{"amount": Money(amount, CUR)}])
            return [self.add(exp, "cards")]
        pay = Payment(source=self._src("erp", "payment"), direction="sent", date=day,
                      amount=Money(amount, CUR), currency=CUR, method="bank_transfer",
                      contact=self.ref(v), applications=[{
                          "document": {"external_id": bill.source.external_id},
                          "document_type": "bill", "amount": Money(amount, CUR)}])
        key = self.add(pay)
        return [key, self.debit(v, day + dt.timedelta(days=self.rng.randint(0, 2)), amount,
                                iban or v["iban"])]

    def debit(self, v: dict, day: dt.date, amount: int, iban: str) -> str:
        """A bank debit to the vendor, as the bank writes its name."""
        self.bank.append({"booking_date": day, "amount": -amount,
                          "counterparty": v["name"].upper(), "counterparty_account": iban,
                          "description": f"SEPA CT {v['name'].upper()}"})
        return f"bank_line:{len(self.bank)}"

    def contact(self, v: dict, iban: str, when: dt.date) -> str:
        """A version of the vendor's contact record naming its IBAN."""
        source = {"connection": "erp", "object_type": "contact", "external_id": v["name"],
                  "updated_at": f"{when}T09:00:00+00:00"}
        return self.add(Contact(source=source, name=v["name"], kind="vendor", iban=iban),
                        status="superseded")

    def normal(self) -> None:
        """A year of ordinary bills and payments, contacts and manual entries."""
        rng = self.rng
        for v in self.vendors:
            self.contact(v, v["iban"], START - dt.timedelta(days=30))
            for month in range(12):
                day = dt.date(2025, 1 + month, v["day"])
                amount = v["typical"] if v["fixed"] else round(v["typical"] * rng.uniform(0.8, 1.2))
                _, bill = self.bill(v, day, amount)
                self.expense_entry(v, day, amount)
                self.pay(v, bill, day + dt.timedelta(days=rng.randint(5, 20)))
        for n in range(40):
            day = START + dt.timedelta(days=rng.randint(0, 330))
            day -= dt.timedelta(days=max(0, day.weekday() - 4))  # a weekday
            amount = rng.randint(100_000, 2_000_000) | 1  # odd: never round
            self.entries.append(Entry(day, (Line("6900", Money(amount, CUR)),
                                            Line("1010", Money(-amount, CUR))), f"Accrual {n}"))

    def plant(self) -> None:
        """The anomalies, each with the records it involves."""
        rng = self.rng
        pool = list(self.vendors)
        rng.shuffle(pool)
        for v in pool[:PLANTS[FlagKind.DUPLICATE_BILL]]:
            old = rng.choice(v["bills"])
            key, _ = self.bill(v, old.issue_date + dt.timedelta(days=rng.randint(0, 20)),
                               old.total.minor, old.number, connection="intake")
            self.planted[FlagKind.DUPLICATE_BILL].append({key, document_key(old)})
        transfer = [v for v in pool if not v["card"]]
        for v in transfer[:5]:  # a bill paid twice
            bill = rng.choice(v["bills"])
            keys = self.pay(v, bill, bill.issue_date + dt.timedelta(days=rng.randint(25, 40)))
            self.planted[FlagKind.DUPLICATE_PAYMENT].append(set(keys))
        for v in transfer[5:10]:  # transfer, then the same amount charged to a card
            day = dt.date(2026, 2, 1) + dt.timedelta(days=rng.randint(0, 20))
            _, bill = self.bill(v, day, v["typical"])
            self.pay(v, bill, day)
            exp = Expense(source=self._src("cards", "expense"), vendor=self.ref(v),
                          date=day + dt.timedelta(days=rng.randint(1, 4)),
                          payment_method="card", currency=CUR, lines=[{"amount": bill.total}])
            self.planted[FlagKind.DUPLICATE_PAYMENT].append({self.add(exp, "cards")})
        for v in transfer[10:15]:  # the bank debit repeated
            day = dt.date(2026, 2, 10) + dt.timedelta(days=rng.randint(0, 5))
            amount = v["typical"]
            first = self.debit(v, day, amount, v["iban"])
            second = self.debit(v, day + dt.timedelta(days=rng.randint(0, 3)), amount, v["iban"])
            self.planted[FlagKind.DUPLICATE_PAYMENT].append({first, second})
        varying = [v for v in pool if not v["fixed"]]
        for v in varying[15:15 + PLANTS[FlagKind.UNUSUAL_AMOUNT]]:
            day = dt.date(2025, 12, 20)
            key, bill = self.bill(v, day, v["typical"] * rng.randint(6, 15))
            self.planted[FlagKind.UNUSUAL_AMOUNT].append({key, *self.pay(v, bill, day)})
        for v in transfer[15:15 + PLANTS[FlagKind.BANK_ACCOUNT_CHANGE]]:
            changed = dt.date(2026, 3, 2)
            new = _iban(rng)
            seen = self.contact(v, new, changed)
            _, bill = self.bill(v, changed, v["typical"], connection="erp")
            keys = self.pay(v, bill, changed + dt.timedelta(days=rng.randint(2, 9)), iban=new)
            self.planted[FlagKind.BANK_ACCOUNT_CHANGE].append({seen, *keys})
        for v in pool[30:30 + PLANTS[FlagKind.UNUSUAL_ACCOUNT]]:
            other = next(a for a in EXPENSE_ACCOUNTS if a != v["account"])
            index = self.expense_entry(v, dt.date(2025, 11, 3), v["typical"], other)
            self.planted[FlagKind.UNUSUAL_ACCOUNT].append({f"entry#{index}"})
        for n in range(PLANTS[FlagKind.ROUND_OR_WEEKEND]):
            weekend = n % 2 == 0
            day = dt.date(2025, 8, 2) + dt.timedelta(days=7 * n + (0 if weekend else 2))
            amount = rng.randint(1_000_001, 5_000_000) | 1 if weekend else 5_000_000
            self.entries.append(Entry(day, (Line("6900", Money(amount, CUR)),
                                            Line("1010", Money(-amount, CUR))), f"Adjustment {n}"))
            self.planted[FlagKind.ROUND_OR_WEEKEND].append({f"entry#{len(self.entries)}"})


def store(ledger: Ledger, books: Books) -> dict[str, set[str]]:
    """Write the books; return the record keys of each entry placeholder (``entry#N``)."""
    engine = ledger.engine
    with engine.begin() as conn:
        ids = {}
        for name in ("erp", "intake", "cards"):
            ids[name] = conn.execute(insert(connections).values(
                name=name, system="webhook", entity_id=ledger.entity.id)).inserted_primary_key[0]
        conn.execute(insert(documents), [{
            "connection_id": ids[connection], "type": json.loads(data)["type"],
            "external_id": json.loads(data)["source"]["external_id"],
            "version": hashlib.sha256(data.encode()).hexdigest()[:16],
            "content_hash": hashlib.sha256(data.encode()).hexdigest(), "data": data,
            "status": status} for connection, status, data in books.docs])
        bank = conn.execute(select(accounts.c.id).where(
            accounts.c.entity_id == ledger.entity.id, accounts.c.code == "1010")).scalar_one()
        conn.execute(insert(bank_lines), [{
            "entity_id": ledger.entity.id, "account_id": bank, "dedupe_key": f"k{i}",
            "occurrence": 1, "currency": CUR, "pending": False, "status": "unreconciled", **row}
            for i, row in enumerate(books.bank, start=1)])
    first = ledger.post_many(books.entries).first_id or 0
    with engine.connect() as conn:
        lines = conn.execute(select(journal_lines.c.entry_id, journal_lines.c.id)).all()
    keys: dict[str, set[str]] = defaultdict(set)
    for entry_id, line_id in lines:  # an entry's placeholder names it and its lines
        keys[f"entry#{entry_id - first + 1}"] |= {f"entry:{entry_id}", f"journal_line:{line_id}"}
    return keys


def main() -> None:
    """Generate, scan, and print precision and recall per kind and the scan's speed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default=None)
    parser.add_argument("--verbose", action="store_true", help="print the unplanted flags")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'anomalies.db'}")
        upgrade(engine)
        ledger = Ledger.create(engine, entity="bench", currency=CUR, chart=standard_chart())
        books = Books(args.vendors, args.seed)
        books.normal()
        books.plant()
        entries = store(ledger, books)
        started = time.perf_counter()
        with engine.connect() as conn:
            read = (len(list(document_outflows(conn, ledger.entity.id)))
                    + len(list(bank_outflows(conn, ledger.entity.id)))
                    + len(list(vendor_postings(conn, ledger.entity.id, CUR)))
                    + len(list(manual_entries(conn, ledger.entity.id, CUR))))
        reading = time.perf_counter() - started
        started = time.perf_counter()
        result = scan(ledger)
        scanning = time.perf_counter() - started
        with engine.connect() as conn:
            flags = list_flags(conn, ledger.entity.id)
        print(f"{len(books.docs)} documents, {len(books.bank)} bank lines, {len(books.entries)} "
              f"entries; {read} records read in {reading:.2f}s (baseline), scan "
              f"{scanning:.2f}s ({scanning / reading:.1f}x): {result.flags} flags")
        print(f"{'kind':<22} {'planted':>7} {'caught':>6} {'flags':>6} {'precision':>9} "
              f"{'recall':>7}")
        ok = True
        for kind, plants in books.planted.items():
            labels = [set().union(*(entries.get(k, {k}) for k in plant)) for plant in plants]
            mine = [f for f in flags if f.kind == kind.value]
            right = sum(any(set(f.records) & label for label in labels) for f in mine)
            caught = sum(any(set(f.records) & label for f in mine) for label in labels)
            precision = 100 * right / len(mine) if mine else 100.0
            recall = 100 * caught / len(labels)
            if kind.duplicate:
                ok &= recall == 100
            ok &= precision >= 90
            if args.verbose:
                for f in mine:
                    if not any(set(f.records) & label for label in labels):
                        print("  unplanted:", f.reason)
            print(f"{kind.value:<22} {len(labels):>7} {caught:>6} {len(mine):>6} "
                  f"{precision:>8.1f}% {recall:>6.1f}%")
        print("target (every planted duplicate caught, precision >= 90 % per kind):",
              "met" if ok else "NOT met")
        engine.dispose()


if __name__ == "__main__":
    main()
