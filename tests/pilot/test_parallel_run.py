"""A generated quarter run in parallel with a flawed old process: every flaw found, no more."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledgerbridge.cli.pilot import pilot_app
from ledgerbridge.ledger.exports import write_beancount, write_hledger
from ledgerbridge.pilot import Kind, OldEntry, compare, read_old_books
from tests.pilot.books import old_process, piloted, write_csv_journal

runner = CliRunner()


def _first(entries: list[OldEntry], prefix: str, skip: int = 0, account: str = "") -> int:
    found = [n for n, e in enumerate(entries) if (e.reference or "").startswith(prefix)
             and (not account or account in dict(e.lines))]
    return found[skip]


def _moved(entry: OldEntry, source: str, target: str, cents: int) -> OldEntry:
    lines = dict(entry.lines)
    lines[source] -= cents
    lines[target] = lines.get(target, 0) + cents
    return dataclasses.replace(entry, lines=tuple(sorted((a, v) for a, v in lines.items() if v)))


def _renamed(entry: OldEntry, source: str, target: str) -> OldEntry:
    lines = dict(entry.lines)
    lines[target] = lines.pop(source)
    return dataclasses.replace(entry, lines=tuple(sorted(lines.items())))


def flawed(entries: list[OldEntry]) -> tuple[list[OldEntry], set[tuple[Kind, str]]]:
    """The old process's books with planted flaws, and the flaws planted."""
    old = list(entries)
    planted: set[tuple[Kind, str]] = set()
    bill = _first(old, "B-", account="6250")  # hosting booked to office supplies
    old[bill] = _renamed(old[bill], "6250", "6300")
    charge = _first(old, "ch_")  # card fee booked to bank charges
    old[charge] = _renamed(old[charge], "6600", "6650")
    second = _first(old, "ch_", 1)  # the fee rounded one cent up, the net one cent down
    old[second] = _moved(old[second], "1150", "6600", 1)
    planted |= {(Kind.ACCOUNT, old[bill].reference), (Kind.ACCOUNT, old[charge].reference),
                (Kind.AMOUNT, old[second].reference)}
    late = _first(old, "bp-", 2)
    old[late] = dataclasses.replace(old[late], date=old[late].date + dt.timedelta(days=1))
    planted.add((Kind.DATE, old[late].reference))
    for prefix in ("SO-", "pr-", "re_"):
        dropped = old.pop(_first(old, prefix, 1 if prefix == "SO-" else 0))
        planted.add((Kind.MISSING, dropped.reference))
    old.append(OldEntry(dt.date(2026, 2, 27), "OLD-1", (("1010", -2500), ("6650", 2500)),
                        "Bank fee", "typed in by hand"))
    planted.add((Kind.EXTRA, "OLD-1"))
    return old, planted


def test_every_planted_discrepancy_is_found_and_nothing_else(ledger, tmp_path):
    _, shadow = piloted(ledger)
    faithful = old_process(shadow, tmp_path)
    assert 60 <= len(faithful) <= 300
    old, planted = flawed(faithful)
    path = tmp_path / "old-books.csv"
    write_csv_journal(path, old, {a.code: a.name for a in shadow.accounts()})
    result = compare(shadow, read_old_books(path, shadow.accounts(), "USD"))
    assert {(d.kind, d.reference) for d in result.discrepancies} == planted
    assert len(result.discrepancies) == len(planted)
    rounding = next(d for d in result.discrepancies if d.kind is Kind.AMOUNT)
    assert "rounding difference of one minor unit" in rounding.reason
    assert rounding.accounts == "1150, 6600"
    assert result.matched == len(faithful) - 3
    # Totals per account and month differ exactly where the planted flaws moved money.
    expected: Counter[tuple[str, str]] = Counter()
    for entry in old:
        for account, amount in entry.lines:
            expected[(f"{entry.date:%Y-%m}", account)] += amount
    for entry in faithful:
        for account, amount in entry.lines:
            expected[(f"{entry.date:%Y-%m}", account)] -= amount
    assert {(t.period, t.account): t.old_amount - t.amount for t in result.totals} == {
        key: delta for key, delta in expected.items() if delta}


def test_a_faithful_old_process_in_beancount_or_hledger_matches(shadow_book, tmp_path):
    _, shadow = shadow_book
    for name, writer in (("old.beancount", write_beancount), ("old.journal", write_hledger)):
        path = tmp_path / name
        with path.open("w", encoding="utf-8") as out:
            writer(shadow, out)
        result = compare(shadow, read_old_books(path, shadow.accounts(), "USD"))
        assert (result.discrepancies, result.totals) == ((), ()), name
        assert result.matched == result.shadow_count == result.old_count


def test_compare_command_reports_as_json_and_csv(shadow_book, tmp_path):
    sqlite_url, shadow = shadow_book
    old, planted = flawed(old_process(shadow, tmp_path))
    path = tmp_path / "old.csv"
    write_csv_journal(path, old, {a.code: a.code for a in shadow.accounts()})
    result = runner.invoke(pilot_app, ["compare", "--old", str(path), "--db", sqlite_url,
                                       "--format", "json"])
    assert result.exit_code == 1, result.output  # the books differ
    report = json.loads(result.stdout)
    assert report["counts"]["missing"] == 3
    assert {(Kind(d["kind"]), d["reference"]) for d in report["discrepancies"]} == planted
    result = runner.invoke(pilot_app, ["compare", "--old", str(path), "--db", sqlite_url,
                                       "--by", "total", "--format", "csv"])
    assert result.exit_code == 1, repr(result.exception)
    header, *rows = result.stdout.splitlines()
    assert header == "period,account,amount,old_amount,difference"
    assert rows


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_planted_flaws_are_found_exactly(shadow_book, tmp_path_factory, data):
    _, shadow = shadow_book
    faithful = old_process(shadow, tmp_path_factory.mktemp("old"))
    references = Counter(e.reference for e in faithful)
    plantable = [n for n, e in enumerate(faithful) if references[e.reference] == 1
                 and all(abs(v) > 1 for _, v in e.lines)]
    chosen = data.draw(st.lists(st.sampled_from(plantable), max_size=9, unique=True))
    kinds = data.draw(st.lists(st.sampled_from([Kind.MISSING, Kind.AMOUNT, Kind.DATE]),
                               min_size=len(chosen), max_size=len(chosen)))
    extras = data.draw(st.integers(min_value=0, max_value=2))
    old, planted = list(faithful), set()
    for n, kind in zip(chosen, kinds, strict=True):
        entry = faithful[n]
        planted.add((kind, entry.reference))
        if kind is Kind.AMOUNT:
            old[n] = _moved(entry, entry.lines[0][0], entry.lines[1][0], 1)
        elif kind is Kind.DATE:
            old[n] = dataclasses.replace(entry, date=entry.date + dt.timedelta(days=3))
    old = [e for n, e in enumerate(old) if (Kind.MISSING, faithful[n].reference) not in planted]
    for k in range(extras):
        old.append(OldEntry(dt.date(2026, 3, 31), f"OLD-{k}", (("1010", -7), ("6650", 7)),
                            "Bank fee", f"extra {k}"))
        planted.add((Kind.EXTRA, f"OLD-{k}"))
    result = compare(shadow, old)
    assert {(d.kind, d.reference) for d in result.discrepancies} == planted
    assert len(result.discrepancies) == len(planted)
