"""Receipts pair with card lines by amount, date and merchant, one to one."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.ramp.receipts import (
    CLOSE_SCORE,
    CardLine,
    MatchPolicy,
    Receipt,
    match,
    score,
    settle,
)
from ledgerbridge.money import Money

DAY = dt.date(2026, 3, 2)


def _line(ident: str, merchant: str, cents: int, day: dt.date = DAY, *,
          restaurant: bool = False) -> CardLine:
    return CardLine(ident, merchant, Money(cents, "USD"), day, restaurant)


def _receipt(ref: str, merchant: str, cents: int, day: dt.date = DAY) -> Receipt:
    return Receipt(ref, merchant, Money(cents, "USD"), day)


def test_exact_amount_close_date_and_alike_name_match():
    (found,) = match([_line("t1", "BLUE BOTTLE COFFEE #12", 4810)],
                     [_receipt("r1", "Blue Bottle Coffee", 4810, DAY - dt.timedelta(days=2))])
    assert found.receipt.ref == "r1" and found.tip == Money(0, "USD")


def test_each_condition_alone_keeps_a_pair_apart():
    line = _line("t1", "Blue Bottle Coffee", 4810)
    policy = MatchPolicy()
    assert score(line, _receipt("r", "Blue Bottle Coffee", 4811), policy) is None
    assert score(line, _receipt("r", "Blue Bottle Coffee", 4810, DAY + dt.timedelta(days=4)),
                 policy) is None
    assert score(line, _receipt("r", "Hertz Rent-a-Car", 4810), policy) is None
    assert score(line, Receipt("r", "Blue Bottle Coffee", Money(4810, "EUR"), DAY),
                 policy) is None
    assert score(line, _receipt("r", None, 4810), policy) is None


def test_a_restaurant_line_may_carry_a_tip_up_to_the_tolerance():
    policy = MatchPolicy()
    meal = _line("t1", "Chez Panisse", 1300, restaurant=True)
    assert score(meal, _receipt("r", "Chez Panisse", 1000), policy) is not None
    assert score(meal, _receipt("r", "Chez Panisse", 999), policy) is None  # 30.1 %
    assert score(meal, _receipt("r", "Chez Panisse", 1400), policy) is None  # card below
    shop = _line("t2", "Chez Panisse", 1300)
    assert score(shop, _receipt("r", "Chez Panisse", 1000), policy) is None
    (found,) = match([meal], [_receipt("r", "Chez Panisse", 1000)])
    assert found.tip == Money(300, "USD")


def test_the_exact_same_day_receipt_wins_over_a_near_one():
    lines = [_line("t1", "Uber", 2500), _line("t2", "Uber", 2500, DAY + dt.timedelta(days=2))]
    receipts = [_receipt("late", "Uber", 2500, DAY + dt.timedelta(days=2)),
                _receipt("early", "Uber", 2500)]
    pairs = {(m.line.external_id, m.receipt.ref) for m in match(lines, receipts)}
    assert pairs == {("t1", "early"), ("t2", "late")}


def test_nothing_to_match_gives_nothing():
    assert match([], [_receipt("r", "Uber", 1)]) == []
    assert match([_line("t", "Uber", 1)], []) == []
    assert match([_line("t", "Uber", 1)], [_receipt("r", "Lyft", 2)]) == []


AMOUNTS = [1000, 1200, 1299, 1300, 2500, -1000]
MERCHANTS = ["Blue Bottle Coffee", "Uber", "Delta Air Lines", "Staples", "AWS"]
lines_st = st.lists(st.builds(
    _line, ident=st.uuids().map(str), merchant=st.sampled_from(MERCHANTS),
    cents=st.sampled_from(AMOUNTS), day=st.dates(DAY, DAY + dt.timedelta(days=10)),
    restaurant=st.booleans()), max_size=8, unique_by=lambda line: line.external_id)
receipts_st = st.lists(st.builds(
    _receipt, ref=st.uuids().map(str), merchant=st.sampled_from(MERCHANTS),
    cents=st.sampled_from(AMOUNTS), day=st.dates(DAY, DAY + dt.timedelta(days=10))),
    max_size=8, unique_by=lambda receipt: receipt.ref)


@settings(max_examples=60, deadline=None)
@given(lines=lines_st, receipts=receipts_st, seed=st.integers(0, 99))
def test_matches_are_one_to_one_valid_maximal_and_do_not_depend_on_order(lines, receipts, seed):
    policy = MatchPolicy()
    found = match(lines, receipts, policy)
    assert len({m.line.external_id for m in found}) == len(found)
    assert len({m.receipt.ref for m in found}) == len(found)
    for m in found:
        assert score(m.line, m.receipt, policy) is not None
        assert m.tip.minor >= 0 and (m.tip.minor == 0 or m.line.restaurant)
    free_lines = [line for line in lines if line not in {m.line for m in found}]
    free_receipts = [r for r in receipts if r not in {m.receipt for m in found}]
    assert all(score(line, r, policy) is None for line in free_lines for r in free_receipts)
    shuffled = list(receipts)
    random.Random(seed).shuffle(shuffled)
    again = match(lines, shuffled, policy)
    assert sum(m.score for m in again) == pytest.approx(sum(m.score for m in found))


def test_a_receipt_fitting_two_lines_equally_is_held_not_guessed():
    lines = [_line("t1", "Joe's Diner", 1200), _line("t2", "Joe's Diner", 1200)]
    settled = settle(lines, [_receipt("r1", "Joe's Diner", 1200)])
    assert settled.matches == ()
    (group,) = settled.ambiguous
    assert {m.line.external_id for m in group} == {"t1", "t2"}


def test_a_same_day_receipt_is_clear_against_one_a_day_away():
    lines = [_line("t1", "Uber", 2500)]
    receipts = [_receipt("today", "Uber", 2500),
                _receipt("tomorrow", "Uber", 2500, DAY + dt.timedelta(days=1))]
    settled = settle(lines, receipts)
    assert [m.receipt.ref for m in settled.matches] == ["today"] and settled.ambiguous == ()


@settings(max_examples=60, deadline=None)
@given(lines=lines_st, receipts=receipts_st)
def test_settling_splits_the_best_pairing_and_leaves_no_close_rival(lines, receipts):
    policy = MatchPolicy()
    settled = settle(lines, receipts, policy)
    chosen = [*settled.matches, *(group[0] for group in settled.ambiguous)]
    assert sorted((m.line.external_id, m.receipt.ref) for m in chosen) == sorted(
        (m.line.external_id, m.receipt.ref) for m in match(lines, receipts, policy))
    for m in settled.matches:
        rivals = [score(m.line, r, policy) for r in receipts if r != m.receipt]
        rivals += [score(line, m.receipt, policy) for line in lines if line != m.line]
        assert all(r is None or r[0] <= m.score - CLOSE_SCORE for r in rivals)
