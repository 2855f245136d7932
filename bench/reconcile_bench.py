"""Reconciliation benchmark: speed and accuracy of automatic matching on a noisy book.

Generates N open items (invoices, some bills) for N/20 parties and a bank
statement of N lines that pays most of them with realistic noise: bank-style
names (upper case, truncated, abbreviated, typos), dates 0-5 days off the due
date, fees deducted, several invoices paid by one line, references missing or
mangled, repeated identical amounts, unpaid items and unrelated lines. Every
statement line is labelled with the journal lines it truly settles.

Then times ``reconcile.run`` (matching, proposals and automatic acceptance with
its postings) against a baseline measured in the same process: loading the
candidates alone and a plain exact-amount dict join over them. Reports precision
and recall of the automatic matches against the labels and peak memory.

    python bench/reconcile_bench.py [--n 100000] [--db URL] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text

from ledgerbridge.ledger import Entry, Ledger, Line, Lineage
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.money import Money
from ledgerbridge.reconcile import run
from ledgerbridge.reconcile.candidates import bank_account_id, load
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.store.bulk import date_param, insert_rows
from ledgerbridge.store.tables import (
    bank_lines,
    journal_entries,
    journal_lines,
    reconciliation_links,
    reconciliations,
)

TARGET_PRECISION = 99.5
TARGET_RECALL = 90.0
TARGET_SECONDS_100K = 10.0
START = dt.date(2025, 1, 1)
WORDS = ("Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Soylent Tyrell Cyberdyne "
         "Wonka Oscorp Gringotts Monarch Massive Dynamic Aperture Black Mesa Blue Sun "
         "Nakatomi Dunder Mifflin Sterling Cooper Prestige Worldwide Pied Piper Gekko "
         "Bluth Kramerica Virtucon Spacely Cogswell Ollivander Zorg Weyland Yutani "
         "Northwind Contoso Fabrikam Litware Adventure Works Tailspin Wingtip Proseware "
         "Alpine Ski Coho Winery Fourth Coffee Lucerne Margie Travel Trey Research").split()
KINDS = ("Trading", "Consulting", "Logistics", "Foods", "Software", "Industries",
         "International", "Partners", "Holdings", "Services", "Manufacturing", "Group")
SUFFIXES = ("Inc", "LLC", "Ltd", "GmbH", "Corp", "Co", "", "", "")
ABBREV = {"International": "Intl", "Manufacturing": "Mfg", "Consulting": "Cnslt",
          "Services": "Svcs", "Industries": "Ind", "Holdings": "Hldgs", "Logistics": "Log"}
ROUND = [9900, 4900, 19900, 25000, 50000, 100000, 12000, 7500]


def party_names(count: int, rnd: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        name = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {rnd.choice(KINDS)}"
        suffix = rnd.choice(SUFFIXES)
        names.add(f"{name} {suffix}".strip())
    return sorted(names)


def typo(word: str, rnd: random.Random) -> str:
    if len(word) < 4:
        return word
    k = rnd.randrange(1, len(word) - 1)
    return word[:k] + word[k + 1:] if rnd.random() < 0.5 else (
        word[:k] + word[k + 1] + word[k] + word[k + 2:])


def bank_name(name: str, rnd: random.Random, *, exact: bool) -> str:
    """How a bank prints a party's name: upper case, maybe abbreviated, typo, truncated."""
    if exact:
        return name.upper()[:35]
    words = [ABBREV.get(w, w) if rnd.random() < 0.5 else w for w in name.split()]
    if rnd.random() < 0.5:
        k = rnd.randrange(len(words))
        words[k] = typo(words[k], rnd)
    return " ".join(words).upper()[:rnd.choice((18, 22, 35))]


def ref_text(number: str, rnd: random.Random) -> str:
    digits = number.split("-")[1]
    return rnd.choice((number, number.lower(), f"INV {digits}", f"/INV/{digits}",
                       f"RF {number}"))


def generate(n: int, rnd: random.Random):
    """Items (party, amount, due, number, account) and labelled bank lines."""
    parties = party_names(max(1, n // 20), rnd)
    items = []
    for i in range(n):
        payable = rnd.random() < 0.12
        amount = rnd.choice(ROUND) if rnd.random() < 0.1 else rnd.randrange(1000, 500_000)
        due = START + dt.timedelta(days=rnd.randrange(0, 330))
        number = f"{'BILL' if payable else 'INV'}-{i + 1:07d}"
        items.append((rnd.choice(parties), amount, due, number, payable))
    by_party: dict[tuple[str, bool], list[int]] = {}
    for i, (party, *_rest, payable) in enumerate(items):
        by_party.setdefault((party, payable), []).append(i)
    lines = []  # (date, amount, description, counterparty, label: tuple of item indexes)
    paid: set[int] = set()
    order = list(range(n))
    rnd.shuffle(order)
    for i in order:
        if i in paid:
            continue
        party, amount, due, number, payable = items[i]
        if rnd.random() < 0.05:
            paid.add(i)  # stays unpaid
            continue
        group = [i]
        if rnd.random() < 0.07:  # one line pays several invoices of the party
            others = [j for j in by_party[(party, payable)] if j not in paid and j != i]
            group += rnd.sample(others, min(len(others), rnd.randint(1, 3)))
        paid.update(group)
        total = sum(items[j][1] for j in group)
        fee = 0
        if not payable and len(group) == 1 and rnd.random() < 0.05:
            fee = min(rnd.randrange(50, 500), max(1, total * 3 // 100))
        with_ref = rnd.random() < 0.88
        refs = " ".join(ref_text(items[j][3], rnd) for j in group) if with_ref else ""
        words = rnd.choice(("PAYMENT", "TRANSFER", "SEPA CREDIT", "ACH", "WIRE"))
        name = bank_name(party, rnd, exact=rnd.random() < 0.5)
        sign = -1 if payable else 1
        date = max(items[j][2] for j in group) + dt.timedelta(days=rnd.randint(0, 5))
        lines.append((date, sign * (total - fee), f"{words} {refs}".strip(), name,
                      tuple(group)))
    for _ in range(n - len(lines)):  # unrelated lines fill the statement up to n
        amount = rnd.choice(ROUND) if rnd.random() < 0.2 else rnd.randrange(100, 300_000)
        lines.append((START + dt.timedelta(days=rnd.randrange(0, 340)),
                      amount * rnd.choice((1, -1)),
                      rnd.choice(("CARD PURCHASE", "INTEREST", "DIRECT DEBIT", "ATM")),
                      f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} SHOP".upper(), ()))
    rnd.shuffle(lines)
    return items, lines


def entries(items):
    for party, amount, due, number, payable in items:
        money = Money(amount, "USD")
        item = Line("2010" if payable else "1100", -money if payable else money,
                    party=party, due_date=due)
        other = Line("6100", money) if payable else Line("4010", -money)
        yield Entry(date=due - dt.timedelta(days=30), memo=f"{'Bill' if payable else 'Invoice'} "
                    f"{number}", lineage=Lineage(document_id=number), lines=(item, other))


def baseline(ledger: Ledger) -> tuple[float, float]:
    """Seconds to load the candidates; seconds for a plain exact-amount dict join."""
    with ledger.engine.connect() as conn:
        t0 = time.perf_counter()
        cands = load(conn, ledger, bank_account_id(conn, ledger, "1010"))
        t1 = time.perf_counter()
        pairs = sum(1 for b in cands.bank if cands.open_by_amount.get(b.amount))
        t2 = time.perf_counter()
    assert pairs >= 0
    return t1 - t0, (t1 - t0) + (t2 - t1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    ledger = Ledger.create(engine, name="Bench Co", currency="USD", chart=standard_chart())

    t0 = time.perf_counter()
    items, lines = generate(args.n, rnd)
    t1 = time.perf_counter()
    result = ledger.post_many(entries(items))
    with engine.begin() as conn:
        account_id = bank_account_id(conn, ledger, "1010")
        item_lines = list(conn.execute(
            select(journal_lines.c.id).join(journal_entries,
                                            journal_entries.c.id == journal_lines.c.entry_id)
            .where(journal_lines.c.party.is_not(None))
            .order_by(journal_lines.c.entry_id)).scalars())
        as_date = date_param(conn)
        pending = False if conn.dialect.name == "postgresql" else 0
        first = (conn.execute(select(bank_lines.c.id).order_by(bank_lines.c.id.desc()))
                 .scalar() or 0) + 1
        insert_rows(conn, bank_lines, (
            "id", "entity_id", "account_id", "dedupe_key", "occurrence", "booking_date",
            "amount", "currency", "description", "counterparty", "pending", "status", "raw"),
            [(first + k, ledger.entity.id, account_id, f"bench:{k}", 1, as_date(d), a, "USD",
              desc, cp, pending, "unreconciled", "")
             for k, (d, a, desc, cp, _) in enumerate(lines)])
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval('bank_lines_id_seq', "
                                 "(SELECT max(id) FROM bank_lines))")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    t2 = time.perf_counter()
    labels = {first + k: frozenset(item_lines[i] for i in label)
              for k, (*_x, label) in enumerate(lines) if label}

    load_s, join_s = baseline(ledger)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t3, cpu3 = time.perf_counter(), time.process_time()
    outcome = run(ledger)
    run_s, run_cpu = time.perf_counter() - t3, time.process_time() - cpu3
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    with engine.connect() as conn:
        rows = conn.execute(
            select(reconciliation_links.c.reconciliation_id, reconciliation_links.c.bank_line_id,
                   reconciliation_links.c.journal_line_id)
            .join(reconciliations,
                  reconciliations.c.id == reconciliation_links.c.reconciliation_id)
            .where(reconciliations.c.status == "accepted"))
        matched: dict[int, tuple[list[int], set[int]]] = {}
        for rid, bank_id, line_id in rows:
            banks, found = matched.setdefault(rid, ([], set()))
            if bank_id is not None:
                banks.append(bank_id)
            if line_id is not None:
                found.add(line_id)
    correct = sum(1 for banks, found in matched.values()
                  if len(banks) == 1 and labels.get(banks[0]) == frozenset(found))
    auto = len(matched)
    precision = 100 * correct / auto if auto else 0.0
    recall = 100 * correct / len(labels) if labels else 0.0
    print(f"database            {engine.dialect.name}")
    print(f"open items          {args.n:,} posted ({result.posted:,} entries)")
    print(f"bank lines          {len(lines):,} ({len(labels):,} labelled with a true match)")
    print(f"generate / load     {t1 - t0:.2f}s / {t2 - t1:.2f}s")
    print(f"baseline load       {load_s:.2f}s   (candidates loaded and indexed)")
    print(f"baseline dict join  {join_s:.2f}s   (load + exact-amount lookup per line)")
    print(f"run                 {run_s:.2f}s   ({run_s / join_s:.1f}x the baseline join), "
          f"CPU {run_cpu:.2f}s")
    print(f"  proposals {outcome.proposals:,}, auto-accepted {outcome.auto_accepted:,}, "
          f"suggested {outcome.suggested:,}, unmatched {outcome.unmatched:,}, "
          f"entries posted {outcome.entries_posted:,}")
    print("  phases              " + ", ".join(f"{k} {v:.2f}s" for k, v in outcome.timings.items()))
    print(f"precision           {precision:.2f} %  ({correct:,}/{auto:,})  "
          f"target >= {TARGET_PRECISION}")
    print(f"recall              {recall:.2f} %  ({correct:,}/{len(labels):,})  "
          f"target >= {TARGET_RECALL}")
    print(f"peak memory         {rss1 / 1024:.0f} MB (before run {rss0 / 1024:.0f} MB)")
    if args.n >= 100_000:
        verdict = "met" if run_s < TARGET_SECONDS_100K else "MISSED"
        print(f"target 100k < {TARGET_SECONDS_100K}s: {verdict}")
    engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
