"""Planning journals: every entry in exactly one journal, each journal balanced."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.targets.plan import PayoutMark, ProcessorEntry, net_lines, plan_journals

DAY = dt.date(2026, 11, 20)


@st.composite
def entries(draw: st.DrawFn) -> list[ProcessorEntry]:
    """Balanced entries over a few days, ids rising with dates."""
    out = []
    for n in range(draw(st.integers(0, 12))):
        amount = draw(st.integers(1, 10**7))
        other = draw(st.sampled_from(["4010", "4060", "6600"]))
        out.append(ProcessorEntry(n + 1, DAY + dt.timedelta(days=draw(st.integers(0, 3))),
                                  "stripe", "payment", f"ch_{n}",
                                  (("1150", amount), (other, -amount))))
    return out


@given(entries(), st.sampled_from(["detail", "daily"]))
def test_every_entry_lands_in_one_balanced_journal(found, mode):
    plans = plan_journals(mode, found)
    covered = [e.id for p in plans for e in p.entries]
    assert sorted(covered) == sorted(e.id for e in found)
    assert all(sum(a for _, a in p.lines) == 0 for p in plans)
    if mode == "daily":
        assert len(plans) == len({e.date for e in found})
        assert all({e.date for e in p.entries} == {p.date} for p in plans)


@given(entries())
def test_payout_mode_takes_only_entries_up_to_a_payout(found):
    mark = PayoutMark(100, DAY + dt.timedelta(days=1), "stripe", "po_1")
    plans = plan_journals("payout", found, payouts=[mark])
    covered = {e.id for p in plans for e in p.entries}
    assert covered == {e.id for e in found if e.date <= mark.date}
    assert all(p.group_key == "stripe:po_1" and p.date == mark.date for p in plans)


def test_a_group_pushed_before_gets_a_correction_with_its_lineage():
    late = ProcessorEntry(7, DAY, "stripe", "refund", "re_9", (("4060", 500), ("1150", -500)))
    (plan,) = plan_journals("daily", [late], pushed_groups=frozenset({DAY.isoformat()}))
    assert plan.correction
    assert plan.memo == "Correction to daily summary 2026-11-20: 1 entries #7 from stripe"
    assert plan.lines == (("1150", -500), ("4060", 500))


def test_accounts_netting_to_zero_are_left_out():
    there = ProcessorEntry(1, DAY, "stripe", "payment", "ch_1", (("1150", 900), ("4010", -900)))
    back = ProcessorEntry(2, DAY, "stripe", "refund", "re_1", (("4010", 900), ("1150", -900)))
    assert net_lines([there, back]) == ()
