import pytest

from ledgerbridge.ledger import AccountType, LedgerError
from ledgerbridge.ledger.chart import load_chart, standard_chart


def test_standard_chart_is_well_formed():
    chart = standard_chart()
    codes = [a.code for a in chart]
    assert len(codes) == len(set(codes)) > 40
    subtypes = {a.subtype for a in chart}
    assert {"bank", "receivable", "payable", "clearing", "transit", "tax", "fx"} <= subtypes
    assert {a.type for a in chart} == set(AccountType)


def test_csv_chart_with_hierarchy(tmp_path):
    path = tmp_path / "chart.csv"
    path.write_text("\ufeffcode,name,type,subtype,parent\n"
                    "1000,Assets,Asset,,\n"
                    "1010,Bank,asset,bank,1000\n"
                    "4000,Sales,income,,\n", encoding="utf-8")
    chart = load_chart(path)
    assert [(a.code, a.type, a.parent) for a in chart] == [
        ("1000", AccountType.ASSET, None), ("1010", AccountType.ASSET, "1000"),
        ("4000", AccountType.INCOME, None)]


@pytest.mark.parametrize(("text", "message"), [
    ("accounts:\n  - {code: '1', name: A, type: asset}\n  - {code: '1', name: B, type: asset}",
     "defined twice"),
    ("accounts:\n  - {code: '2', name: B, type: asset, parent: '1'}", "not defined above it"),
    ("accounts:\n  - {code: '1', name: A, type: asset}\n"
     "  - {code: '2', name: B, type: income, parent: '1'}", "cannot sit under"),
    ("accounts:\n  - {code: '1', name: A, type: revenue}", "is not one of"),
    ("accounts:\n  - {code: '1', type: asset}", "missing name"),
    ("accounts:\n  - {code: '1', name: A, type: asset, colour: red}", "unknown fields"),
    ("accounts: [", "cannot read"),
])
def test_bad_charts_name_the_problem(tmp_path, text, message):
    path = tmp_path / "chart.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LedgerError, match=message):
        load_chart(path)


def test_chart_round_trips_through_the_ledger(ledger):
    assert [a.code for a in ledger.accounts()] == [a.code for a in standard_chart()]
    with pytest.raises(LedgerError, match="already exists"):
        ledger.add_accounts(standard_chart()[:1])
