"""Processor activity pushed to the emulated company as detail, daily and payout journals."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import yaml
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.connectors.account_map import OurTax, suggest_tax_codes
from ledgerbridge.mapping._schema import TargetConfig
from ledgerbridge.targets import TargetError, push_target
from tests.connectors.quickbooks.conftest import connector_for
from tests.targets.activity import OURS, charge, day_totals, payout, refund, trading_day

DAY = dt.date(2026, 11, 20)
NEXT = DAY + dt.timedelta(days=1)
NAMES = {"1150": ("Stripe Processor Clearing", "Other Current Asset"),
         "1160": ("Funds in Transit", "Other Current Asset"),
         "4010": ("Sales", "Income"), "4060": ("Refunds and Allowances", "Income"),
         "6600": ("Merchant Processing Fees", "Expense")}


def _chart(qbo) -> dict[str, str]:
    """Our account code -> the QuickBooks Id of its counterpart, created in the company."""
    return {code: qbo.save("Account", Name=name, AccountType=kind,
                           Classification="Revenue" if kind == "Income" else
                           "Expense" if kind == "Expense" else "Asset")["Id"]
            for code, (name, kind) in NAMES.items()}


def _push(ledger, qbo, connector, ids, summary, through=NEXT):
    return push_target(ledger, "qbo", TargetConfig(accounts=ids, summary=summary), connector,
                       clearing=["1150"], through=through)


def _journals(qbo) -> list[dict]:
    return sorted(qbo.company.records["JournalEntry"].values(), key=lambda r: int(r["Id"]))


def _net(journal, ids) -> dict[str, int]:
    """A pushed journal's net per our account, in cents."""
    ours = {v: k for k, v in ids.items()}
    out: dict[str, int] = {}
    for line in journal["Line"]:
        detail = line["JournalEntryLineDetail"]
        cents = int(Decimal(str(line["Amount"])) * 100)
        sign = 1 if detail["PostingType"] == "Debit" else -1
        code = ours[detail["AccountRef"]["value"]]
        out[code] = out.get(code, 0) + sign * cents
    return out


def test_a_day_of_stripe_activity_is_one_balanced_journal_of_the_days_totals(ledger, qbo):
    ids, connector = _chart(qbo), connector_for(ledger.engine, qbo)
    entries = trading_day(ledger, DAY, "a")
    (pushed,) = _push(ledger, qbo, connector, ids, "daily")
    (journal,) = _journals(qbo)
    assert _net(journal, ids) == day_totals(ledger, DAY)
    assert journal["TxnDate"] == "2026-11-20" and journal["DocNumber"] == pushed.reference
    assert journal["PrivateNote"] == (f"Daily summary 2026-11-20: 6 entries "
                                      f"#{entries[0]}-#{entries[-1]} from stripe")
    assert (pushed.status, pushed.entries, pushed.package_id) == ("pushed", 6, journal["Id"])
    assert _push(ledger, qbo, connector, ids, "daily") == []  # nothing left to push


def test_payout_mode_pushes_one_journal_per_payout_and_waits_for_the_next(ledger, qbo):
    ids, connector = _chart(qbo), connector_for(ledger.engine, qbo)
    trading_day(ledger, DAY, "a")
    payout(ledger, DAY, "po_1")
    trading_day(ledger, NEXT, "b")  # not paid out yet
    (pushed,) = _push(ledger, qbo, connector, ids, "payout")
    assert (pushed.group_key, pushed.entries) == ("stripe:po_1", 7)
    (journal,) = _journals(qbo)
    net = _net(journal, ids)
    assert "1150" not in net  # the payout swept the clearing account
    assert net["1160"] == day_totals(ledger, DAY)["1160"]
    payout(ledger, NEXT, "po_2")
    (second,) = _push(ledger, qbo, connector, ids, "payout")
    assert (second.group_key, second.entries, second.date) == ("stripe:po_2", 7, NEXT)


def test_switching_from_detail_to_daily_pushes_nothing_twice(ledger, qbo):
    ids, connector = _chart(qbo), connector_for(ledger.engine, qbo)
    first = charge(ledger, DAY, "ch_1", 10_000)
    detail = _push(ledger, qbo, connector, ids, "detail")
    assert [p.group_key for p in detail] == [str(first)]
    refund(ledger, DAY, "re_1", 1_000)
    charge(ledger, NEXT, "ch_2", 5_000)
    daily = _push(ledger, qbo, connector, ids, "daily")
    assert [(p.group_key, p.entries) for p in daily] == [("2026-11-20", 1), ("2026-11-21", 1)]
    journals = _journals(qbo)
    assert len(journals) == 3
    pushed = [_net(j, ids) for j in journals]
    assert {k: sum(p.get(k, 0) for p in pushed) for k in OURS} == {
        k: day_totals(ledger, DAY).get(k, 0) + day_totals(ledger, NEXT).get(k, 0) for k in OURS}


def test_a_late_entry_gets_a_correcting_summary_for_its_day(ledger, qbo):
    ids, connector = _chart(qbo), connector_for(ledger.engine, qbo)
    trading_day(ledger, DAY, "a")
    _push(ledger, qbo, connector, ids, "daily")
    late = refund(ledger, DAY, "re_late", 700)
    (correction,) = _push(ledger, qbo, connector, ids, "daily")
    assert correction.group_key == "2026-11-20" and correction.entries == 1
    assert correction.memo.startswith(f"Correction to daily summary 2026-11-20: 1 entries #{late}")
    first, second = _journals(qbo)
    assert _net(second, ids) == {"1150": -700, "4060": 700}
    assert {k: _net(first, ids).get(k, 0) + _net(second, ids).get(k, 0) for k in OURS} == {
        k: day_totals(ledger, DAY).get(k, 0) for k in OURS}


def test_a_write_that_times_out_after_saving_is_found_by_its_reference(ledger, qbo):
    ids = _chart(qbo)
    connector = connector_for(ledger.engine, qbo, timeout_seconds=0.4)
    trading_day(ledger, DAY, "a")
    qbo.control("/faults", {"after_write": ["timeout"]})
    (pushed,) = _push(ledger, qbo, connector, ids, "daily")
    (journal,) = _journals(qbo)
    assert (pushed.status, pushed.package_id) == ("pushed", journal["Id"])


def test_an_unmapped_account_stops_the_push_before_anything_is_written(ledger, qbo):
    ids, connector = _chart(qbo), connector_for(ledger.engine, qbo)
    trading_day(ledger, DAY, "a")
    del ids["6600"]
    with pytest.raises(TargetError, match=r"no package account for our account 6600 "
                                          r"\(first needed by daily 2026-11-20\)"):
        _push(ledger, qbo, connector, ids, "daily")
    assert _journals(qbo) == []


def test_tax_codes_are_suggested_by_rate_then_name(local_books, qbo):
    state = qbo.save("TaxRate", Name="California", RateValue=6)
    city = qbo.save("TaxRate", Name="San Francisco", RateValue=Decimal("2.625"))
    combined = qbo.save("TaxCode", Name="CA SF sales tax", SalesTaxRateList={"TaxRateDetail": [
        {"TaxRateRef": {"value": state["Id"]}}, {"TaxRateRef": {"value": city["Id"]}}]})
    qbo.save("TaxCode", Name="CA sales tax", SalesTaxRateList={"TaxRateDetail": [
        {"TaxRateRef": {"value": state["Id"]}}]})
    rates = connector_for(local_books, qbo).package_tax_rates()
    assert {(r.name, r.percent) for r in rates} == {("CA SF sales tax", Decimal("8.625")),
                                                   ("CA sales tax", Decimal(6))}
    found = suggest_tax_codes([OurTax("US-CA-SF", "San Francisco sales tax",
                                      Decimal("8.625")),
                               OurTax("US-NY", "New York", Decimal("8.875"))], rates)
    assert found[0].target.code == combined["Id"] and found[0].score >= 60
    assert found[1].target is None


def test_the_command_line_writes_the_mapping_then_pushes(db_url, ledger, qbo, tmp_path):
    ids = _chart(qbo)
    connector_for(ledger.engine, qbo)
    trading_day(ledger, DAY, "a")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("discounts: net\n", encoding="utf-8")
    runner = CliRunner()
    mapped = runner.invoke(app, ["accounts", "map", "qbo", "--write", str(mapping),
                                 "--db", db_url, "-f", "json"])
    assert mapped.exit_code == 0, mapped.output
    text = mapping.read_text(encoding="utf-8")
    assert text.startswith("discounts: net\n") and "summary: detail" in text
    assert ids.items() <= yaml.safe_load(text)["targets"]["qbo"]["accounts"].items()
    mapping.write_text(text.replace("summary: detail", "summary: daily"), encoding="utf-8")
    pushed = runner.invoke(app, ["targets", "push", "qbo", "--mapping", str(mapping),
                                 "--through", "2026-11-30", "--db", db_url, "-f", "json"])
    assert pushed.exit_code == 0, pushed.output
    (row,) = json.loads(pushed.stdout)["journals"]
    assert (row["mode"], row["group"], row["entries"], row["status"]) == (
        "daily", "2026-11-20", 6, "pushed")
