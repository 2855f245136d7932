"""The company's chart read for mapping suggestions."""

from __future__ import annotations

from ledgerbridge.connectors.account_map import suggest_accounts
from ledgerbridge.ledger.chart import standard_chart
from tests.connectors.quickbooks.conftest import connector_for


def test_the_company_chart_is_read_and_matched_by_class_and_role(local_books, qbo):
    checking = qbo.save("Account", Name="Checking", AcctNum="1000", Classification="Asset",
                        AccountType="Bank")
    qbo.save("Account", Name="Accounts Receivable (A/R)", Classification="Asset",
             AccountType="Accounts Receivable")
    qbo.save("Account", Name="Sales of Product Income", Classification="Revenue",
             AccountType="Income")
    qbo.save("Account", Name="Old bank", Classification="Asset", AccountType="Bank",
             Active=False)
    theirs = connector_for(local_books, qbo).package_accounts()
    assert {a.name for a in theirs} == {"Checking", "Accounts Receivable (A/R)",
                                        "Sales of Product Income"}
    found = {s.account.code: s for s in suggest_accounts(standard_chart(), theirs)}
    assert found["1010"].target.id == checking["Id"] and found["1010"].target.code == "1000"
    assert found["1100"].target.role == "receivable"
    assert found["4010"].target.name == "Sales of Product Income"
    assert found["2010"].target is None  # no liability in the company's chart
