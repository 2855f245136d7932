import csv
import datetime as dt
import io
import json

import pytest
from rich.console import Console

from ledgerbridge.money import Money
from ledgerbridge.report import (
    Column,
    ColumnKind,
    Report,
    to_json_obj,
    to_table,
    write_csv,
    write_json,
)

COLUMNS = (
    Column("day", "Day", ColumnKind.DATE),
    Column("ref", "Reference"),
    Column("count", "Count", ColumnKind.INT),
    Column("amount", "Amount", ColumnKind.MONEY),
)
ROWS = (
    {"day": dt.date(2026, 1, 2), "ref": "INV-1", "count": 3, "amount": 123456},
    {"day": dt.date(2026, 1, 3), "ref": "CN-1", "count": 1, "amount": -5},
    {"day": None, "ref": "no date", "count": None, "amount": None},
)


def make(rows=ROWS, **kw):
    args = {
        "title": "Sample",
        "columns": COLUMNS,
        "rows": rows,
        "currency": "USD",
        "subtitle": "Test Co · USD",
        "meta": {"as_of": dt.date(2026, 1, 31), "limit": Money(1000, "USD"), "note": None},
        "totals": {"count": 4, "amount": 123451},
        "rows_key": "items",
    }
    args.update(kw)
    return Report(**args)


def render_text(report, width=120):
    console = Console(width=width, record=True, color_system=None)
    console.print(to_table(report))
    return console.export_text()


def test_json_object_shape():
    assert to_json_obj(make()) == {
        "title": "Sample",
        "subtitle": "Test Co · USD",
        "currency": "USD",
        "as_of": "2026-01-31",
        "limit": "10.00",
        "note": None,
        "items": [
            {"day": "2026-01-02", "ref": "INV-1", "count": 3, "amount": "1234.56"},
            {"day": "2026-01-03", "ref": "CN-1", "count": 1, "amount": "-0.05"},
            {"day": None, "ref": "no date", "count": None, "amount": None},
        ],
        "totals": {"count": 4, "amount": "1234.51"},
    }


def test_streamed_json_equals_the_json_object():
    out = io.StringIO()
    write_json(make(rows=iter(ROWS)), out)
    assert json.loads(out.getvalue()) == to_json_obj(make())


def test_json_without_rows_or_totals():
    out = io.StringIO()
    write_json(make(rows=(), totals=None), out)
    data = json.loads(out.getvalue())
    assert data["items"] == []
    assert "totals" not in data


def test_money_uses_each_currency_exponent():
    cols = (Column("amount", "Amount", ColumnKind.MONEY),)
    for currency, minor, text in (("JPY", 1500, "1500"), ("KWD", -1234, "-1.234"),
                                  ("USD", 7, "0.07")):
        report = Report("x", cols, [{"amount": minor}], currency)
        assert to_json_obj(report)["rows"] == [{"amount": text}]
    mixed = Report("x", cols, [{"amount": Money(5, "JPY")}, {"amount": 5}], "EUR")
    assert to_json_obj(mixed)["rows"] == [{"amount": "5"}, {"amount": "0.05"}]


@pytest.mark.parametrize("bad", [1.5, "12.30", True])
def test_money_cells_must_be_exact(bad):
    report = Report("x", (Column("amount", "Amount", ColumnKind.MONEY),), [{"amount": bad}],
                    "USD")
    with pytest.raises(TypeError):
        to_json_obj(report)


def test_csv_parses_back_with_totals_row():
    out = io.StringIO()
    write_csv(make(rows=iter(ROWS)), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows == [
        {"day": "2026-01-02", "ref": "INV-1", "count": "3", "amount": "1234.56"},
        {"day": "2026-01-03", "ref": "CN-1", "count": "1", "amount": "-0.05"},
        {"day": "", "ref": "no date", "count": "", "amount": ""},
        {"day": "", "ref": "Total", "count": "4", "amount": "1234.51"},
    ]


def test_csv_and_json_write_rows_as_they_are_produced():
    """Each row is written before the next one is asked for: nothing is buffered."""

    for writer, marker in ((write_csv, "INV-{n}"), (write_json, '"INV-{n}"')):
        out = io.StringIO()
        seen = []

        def rows(out=out, seen=seen, marker=marker):
            for n in range(1, 4):
                if n > 1:
                    seen.append(marker.format(n=n - 1) in out.getvalue())
                yield {"ref": f"INV-{n}", "amount": n}

        writer(make(rows=rows(), totals=None), out)
        assert seen == [True, True]


def test_table_alignment_hidden_columns_and_indent():
    cols = (
        Column("depth", "Depth", ColumnKind.INT, table=False),
        Column("name", "Name", indent_key="depth"),
        Column("amount", "Amount", ColumnKind.MONEY, blank_zero=True),
    )
    rows = [{"depth": 0, "name": "Assets", "amount": 250000},
            {"depth": 2, "name": "Bank", "amount": 0}]
    report = Report("Tree", cols, rows, "USD", totals={"amount": 250000})
    table = to_table(report)
    assert [c.header for c in table.columns] == ["Name", "Amount"]
    assert [c.justify for c in table.columns] == ["left", "right"]
    text = render_text(report)
    lines = [line for line in text.splitlines() if "Assets" in line or "Bank" in line
             or "Total" in line]
    assert "│ Assets     │ 2500.00 │" in lines[0]  # text columns keep a minimum width
    assert "│     Bank   │         │" in lines[1]  # indented, zero left blank
    assert "Total" in lines[2] and "2500.00" in lines[2]
    assert "Depth" not in text


def test_table_right_aligns_money_of_different_widths():
    text = render_text(make())
    body = [line for line in text.splitlines() if "INV-1" in line or "CN-1" in line]
    # right-aligned: both amounts end in the same column
    assert body[0].index("1234.56") + len("1234.56") == body[1].index("-0.05") + len("-0.05")
    assert "Test Co · USD" in text


def test_meta_may_not_hide_the_rows_or_totals():
    with pytest.raises(ValueError, match="reserved"):
        make(meta={"items": 1})
    with pytest.raises(ValueError, match="reserved"):
        make(meta={"totals": 1})
    with pytest.raises(ValueError, match="duplicate"):
        make(columns=(*COLUMNS, Column("ref", "Again")))


def test_meta_refuses_floats():
    with pytest.raises(TypeError):
        to_json_obj(make(meta={"rate": 0.5}))
