"""The mapping's targets section: validated, checked against the chart, documented."""

from __future__ import annotations

import pytest

from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.mapping import MappingError, load_rules
from ledgerbridge.mapping._docs import render_docs
from ledgerbridge.mapping._schema import check_chart, parse_config

SECTION = """
targets:
  qbo:
    summary: payout
    accounts: {"1150": "91", "6600": "93"}
    tax_codes: {US-CA: "3"}
"""


def test_a_target_is_read_with_its_mode_accounts_and_tax_codes():
    target = parse_config(SECTION).targets["qbo"]
    assert (target.summary, target.accounts, target.tax_codes) == (
        "payout", {"1150": "91", "6600": "93"}, {"US-CA": "3"})
    assert parse_config("targets: {xero: {}}").targets["xero"].summary == "detail"


def test_an_unknown_mode_is_refused_naming_its_path():
    with pytest.raises(MappingError, match=r"targets\.qbo\.summary: Input should be 'detail', "
                                           r"'daily' or 'payout'"):
        parse_config("targets: {qbo: {summary: weekly}}")


def test_an_account_missing_from_our_chart_is_reported():
    config = parse_config('targets: {qbo: {accounts: {"1150": "91", "9999": "12"}}}')
    assert check_chart(config, standard_chart()) == [
        ("targets.qbo.accounts.9999", "unknown account '9999'")]


def test_mapping_docs_show_each_target():
    text = render_docs(load_rules(SECTION), standard_chart())
    assert "## Push targets" in text and "### qbo: payout" in text
    assert "| 1150 Payment Processor Clearing | 91 |" in text
    assert "| US-CA | 3 |" in text
