"""Cash forecast backtest: forecasts made at past dates against what happened.

Generates 18 months of books for a small company: customers who each pay with
their own delay after the due date, vendors paid around the due date, payroll,
rent and subscriptions on their days, a monthly transfer to savings, noise (fees,
interest, odd receipts), and a CRM pipeline whose won deals become invoices. Then,
at a forecast date every two weeks over the last nine months, forecasts the next
90 days from the books as they stood (the pipeline as it stood that day, which
the generator knows; the documents table keeps only the current deals) and
compares the median with the balances that followed, at 30, 60 and 90 days. The
naive baseline, measured in the same run, carries the last balance forward plus
the average daily net flow of the last 90 days. Also reports how often the true
balance fell inside the P10-P90 band.

With ``--savings-currency EUR`` the savings account is kept in EUR (the monthly
transfer bought at a rate that moves day by day): the total is then compared in
USD at the rate each forecast used, as it cannot foresee exchange rates.

    python bench/forecast_bench.py [--seed 7] [--db URL] [--simulations 500]
        [--savings-currency EUR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from ledgerbridge.intelligence.forecast import TOTAL, Deal, Forecast, forecast, load_history, naive
from ledgerbridge.ledger import Entry, Ledger, Line
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.money import Money, convert
from ledgerbridge.store import make_engine, upgrade

START = dt.date(2025, 1, 1)
END = dt.date(2026, 6, 30)
FIRST_FORECAST = dt.date(2025, 10, 1)
HORIZONS = (30, 60, 90)
CUR = "USD"
STAGES = (("appointmentscheduled", 20), ("qualifiedtobuy", 40), ("presentationscheduled", 60),
          ("decisionmakerboughtin", 80), ("contractsent", 90))


@dataclass(frozen=True, slots=True)
class PlannedDeal:
    """A deal the generator made: open from ``created`` until ``close``."""

    deal: Deal
    created: dt.date
    won: bool


def _m(minor: int) -> Money:
    return Money(minor, CUR)


def _entry(day: dt.date, memo: str, *lines: tuple[str, int, str | None, dt.date | None]
           ) -> Entry:
    return Entry(day, tuple(Line(code, _m(amount), party=party, due_date=due)
                            for code, amount, party, due in lines), memo)


class Company:
    """The generated books: entries by day, and the pipeline."""

    def __init__(self, seed: int, savings: str = CUR) -> None:
        self.savings = savings
        self.rng = random.Random(seed)
        self.entries: list[Entry] = []
        self.deals: list[PlannedDeal] = []
        self.customers = {f"Customer {i:02d}": (self.rng.randint(-5, 35), self.rng.randint(1, 6))
                          for i in range(14)}
        self.vendors = [f"Vendor {i:02d}" for i in range(8)]

    def invoice(self, day: dt.date, party: str, amount: int) -> None:
        """An invoice and, after the customer's own delay, its payment."""
        due = day + dt.timedelta(days=30)
        self.entries.append(_entry(day, f"Invoice {party}", ("1100", amount, party, due),
                                   ("4020", -amount, None, None)))
        mean, spread = self.customers[party]
        paid = max(day + dt.timedelta(days=1),
                   due + dt.timedelta(days=round(self.rng.gauss(mean, spread))))
        self.entries.append(_entry(paid, f"Payment {party}", ("1010", amount, None, None),
                                   ("1100", -amount, party, None)))

    def bill(self, day: dt.date) -> None:
        """A vendor bill, paid around its due date."""
        party = self.rng.choice(self.vendors)
        amount = self.rng.randint(30_000, 300_000)
        due = day + dt.timedelta(days=30)
        self.entries.append(_entry(day, f"Bill {party}", ("6900", amount, None, None),
                                   ("2010", -amount, party, due)))
        paid = due + dt.timedelta(days=self.rng.randint(-3, 3))
        self.entries.append(_entry(paid, f"Bill payment {party}", ("2010", amount, party, None),
                                   ("1010", -amount, None, None)))

    def day(self, day: dt.date) -> None:
        """Everything that happens on ``day``."""
        rng = self.rng
        weekday = day.weekday() < 5
        if weekday and rng.random() < 0.45:
            party = rng.choice(list(self.customers))
            self.invoice(day, party, rng.randint(150_000, 900_000))
        if weekday and rng.random() < 0.12:
            party = rng.choice(list(self.customers))
            stage, chance = rng.choice(STAGES)
            close = day + dt.timedelta(days=rng.randint(10, 70))
            amount = rng.randint(500_000, 2_500_000)
            won = rng.random() * 100 < chance
            self.deals.append(PlannedDeal(Deal(f"Deal {len(self.deals)}", party, amount, chance,
                                               close), day, won))
        if weekday and rng.random() < 0.5:
            self.bill(day)
        if day.day == 25:
            self.entries.append(_entry(day, "Payroll", ("6010", 4_200_000, None, None),
                                       ("1010", -4_200_000, None, None)))
        if day.day == 1:
            self.entries.append(_entry(day, "Office rent", ("6100", 850_000, None, None),
                                       ("1010", -850_000, None, None)))
            self.entries.append(self.to_savings(day, 500_000))
        if day.day in (3, 17):
            for name, amount in (("Hosting", 120_000), ("Software", 45_000)):
                if day.day == 3 or name == "Hosting":
                    self.entries.append(_entry(day, name, ("6200", amount, None, None),
                                               ("1010", -amount, None, None)))
        if rng.random() < 0.3:
            amount = rng.randint(-40_000, 60_000)
            if amount:
                self.entries.append(_entry(day, "Sundry", ("1010", amount, None, None),
                                           ("4900", -amount, None, None)))

    def to_savings(self, day: dt.date, amount: int) -> Entry:
        """``amount`` moved to savings, bought in the savings currency at the day's rate."""
        if self.savings == CUR:
            return _entry(day, "Transfer to savings", ("1020", amount, None, None),
                          ("1010", -amount, None, None))
        rate = Decimal("1.05") + Decimal(day.toordinal() % 61) / 1000  # USD per unit
        bought = convert(amount, CUR, 1 / rate, self.savings)
        booked = convert(bought, self.savings, rate, CUR)
        return Entry(day, (Line("1020", Money(bought, self.savings), rate),
                           Line("1010", _m(-booked))), "Transfer to savings")

    def generate(self) -> None:
        """Run the days, then turn won deals into invoices on their close dates."""
        self.entries.append(_entry(START, "Opening capital", ("1010", 30_000_000, None, None),
                                   ("3010", -30_000_000, None, None)))
        day = START
        while day <= END:
            self.day(day)
            day += dt.timedelta(days=1)
        for planned in self.deals:
            if planned.won and planned.deal.close_date <= END:
                self.invoice(planned.deal.close_date, planned.deal.party, planned.deal.amount)

    def open_deals(self, as_of: dt.date) -> tuple[Deal, ...]:
        """The pipeline as it stood on ``as_of``: created, not yet closed."""
        return tuple(p.deal for p in self.deals
                     if p.created <= as_of < p.deal.close_date)


def actual_total(ledger: Ledger, day: dt.date, result: Forecast) -> int:
    """The bank accounts' total at the end of ``day``, at the rates ``result`` used."""
    history = load_history(ledger, day)
    rates = {r.currency: r.rate for r in result.rates}
    return sum(balance if history.currency_of(a) == CUR
               else convert(balance, history.currency_of(a), rates[history.currency_of(a)], CUR)
               for a, balance in history.balances.items())


def main() -> None:
    """Generate the books, backtest both forecasts, print the errors and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default=None, help="database URL (default: a temp SQLite file)")
    parser.add_argument("--simulations", type=int, default=500)
    parser.add_argument("--savings-currency", default=CUR,
                        help="keep the savings account in this currency")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'forecast.db'}")
        upgrade(engine)
        ledger = Ledger.create(engine, entity="bench", currency=CUR, chart=standard_chart())
        company = Company(args.seed, args.savings_currency)
        company.generate()
        ledger.post_many(sorted(company.entries, key=lambda e: e.date))
        print(f"books: {len(company.entries)} entries, {len(company.deals)} deals, "
              f"{START} to {END}")
        dates = []
        day = FIRST_FORECAST
        while day + dt.timedelta(days=max(HORIZONS)) <= END:
            dates.append(day)
            day += dt.timedelta(days=14)
        ours = {h: [] for h in HORIZONS}
        base = {h: [] for h in HORIZONS}
        inside = {h: 0 for h in HORIZONS}
        took = 0.0
        for as_of in dates:
            history = replace(load_history(ledger, as_of), deals=company.open_deals(as_of))
            started = time.perf_counter()
            result = forecast(history, max(HORIZONS), simulations=args.simulations,
                              seed=args.seed)
            took += time.perf_counter() - started
            baseline = naive(history, max(HORIZONS))
            for h in HORIZONS:
                actual = actual_total(ledger, as_of + dt.timedelta(days=h), result)
                band = result.of(TOTAL).days[h - 1]
                ours[h].append(abs(band.median - actual))
                base[h].append(abs(baseline[TOTAL][h - 1] - actual))
                inside[h] += band.low <= actual <= band.high
        print(f"{len(dates)} forecasts from {dates[0]} to {dates[-1]}, "
              f"{args.simulations} simulations each, {took / len(dates):.2f}s per forecast")
        print(f"{'horizon':>8} {'ours MAE':>14} {'naive MAE':>14} {'ratio':>7} {'in band':>8}")
        wins = True
        for h in HORIZONS:
            mine = sum(ours[h]) // len(dates)
            theirs = sum(base[h]) // len(dates)
            ratio = mine / theirs if theirs else float("inf")
            wins &= mine < theirs
            print(f"{h:>7}d {Money(mine, CUR).text():>14} {Money(theirs, CUR).text():>14} "
                  f"{ratio:>7.2f} {100 * inside[h] / len(dates):>7.0f}%")
        print("target (ours beats the naive baseline at 30, 60 and 90 days):",
              "met" if wins else "NOT met")
        engine.dispose()


if __name__ == "__main__":
    main()
