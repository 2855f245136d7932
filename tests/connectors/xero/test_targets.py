"""Processor activity pushed to the emulated Xero as summary manual journals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerbridge.connectors.account_map import OurTax, suggest_tax_codes
from ledgerbridge.mapping._schema import TargetConfig
from ledgerbridge.targets import push_target
from tests.connectors.xero.conftest import connect
from tests.targets.activity import day_totals, payout, trading_day

DAY = dt.date(2026, 11, 20)
NEXT = DAY + dt.timedelta(days=1)


def _codes(xero) -> dict[str, str]:
    """Our account code -> a code of the emulated organisation's chart."""
    assert {a["Code"] for a in xero.org.records["Accounts"].values()} >= {
        "090", "610", "200", "260", "429"}
    return {"1150": "090", "1160": "610", "4010": "200", "4060": "260", "6600": "429"}


def _push(ledger, connector, codes, summary):
    return push_target(ledger, "xero", TargetConfig(accounts=codes, summary=summary),
                       connector, clearing=["1150"], through=NEXT)


def _journals(xero) -> list[dict]:
    return list(xero.org.records["ManualJournals"].values())


def _net(journal, codes) -> dict[str, int]:
    ours = {v: k for k, v in codes.items()}
    out: dict[str, int] = {}
    for line in journal["JournalLines"]:
        code = ours[line["AccountCode"]]
        out[code] = out.get(code, 0) + int(Decimal(str(line["LineAmount"])) * 100)
    return out


def test_a_day_is_one_manual_journal_with_the_ledgers_totals(ledger, xero):
    codes, connector = _codes(xero), connect(ledger, xero)
    trading_day(ledger, DAY, "a")
    (pushed,) = _push(ledger, connector, codes, "daily")
    (journal,) = _journals(xero)
    assert _net(journal, codes) == day_totals(ledger, DAY)
    assert journal["Narration"].endswith(f"[ref {pushed.reference}]")
    assert pushed.package_id == journal["ManualJournalID"]


def test_per_payout_journals_and_a_failed_write_found_again(ledger, xero):
    codes, connector = _codes(xero), connect(ledger, xero)
    trading_day(ledger, DAY, "a")
    payout(ledger, DAY, "po_1")
    xero.control("/faults", collection="ManualJournals", kind="error")  # saved, then a 500
    (pushed,) = _push(ledger, connector, codes, "payout")
    (journal,) = _journals(xero)
    assert (pushed.status, pushed.package_id) == ("pushed", journal["ManualJournalID"])
    assert pushed.group_key == "stripe:po_1" and pushed.entries == 7


def test_a_refused_write_stays_pending_and_is_pushed_once_later(ledger, xero):
    codes, connector = _codes(xero), connect(ledger, xero)
    trading_day(ledger, DAY, "a")
    connector.client.tenant_id  # noqa: B018  (the tenant is read before the limit)
    xero.control("/limits", minute=0, day=100)
    (refused,) = _push(ledger, connector, codes, "daily")
    assert refused.status == "pending" and refused.error and _journals(xero) == []
    xero.control("/limits", minute=60, day=5000)
    (again,) = _push(ledger, connector, codes, "daily")
    assert (again.reference, again.status) == (refused.reference, "pushed")
    assert len(_journals(xero)) == 1
    assert _push(ledger, connector, codes, "daily") == []


def test_tax_rates_are_suggested_by_rate(ledger, xero):
    rates = connect(ledger, xero).package_tax_rates()
    found = suggest_tax_codes([OurTax("NZ-GST15", "GST 15%", Decimal(15)),
                               OurTax("NZ", "NZ", None)], rates)
    assert found[0].target.code in {"OUTPUT2", "INPUT2"}
    assert found[0].reason.startswith("rate 15 %")
