"""Mapping YAML: validation errors name the path; field maps; source of truth."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.mapping import (
    FieldMapError,
    MappingError,
    apply_field_map,
    load_rules,
    resolve,
)
from ledgerbridge.store.tables import sync_log


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(MappingError) as error:
        load_rules(text)
    return list(error.value.problems)


def test_defaults_are_valid_against_the_standard_chart():
    rules = load_rules(None)
    assert rules.check(standard_chart()) == []
    assert rules.config.accounts["receivable"] == "1100"


def test_unknown_account_names_the_path_in_the_users_file():
    rules = load_rules(
        "accounts: {clearing: '1199'}\n"
        "rules:\n"
        "  - when: {type: invoice}\n"
        "    accounts: {revenue: '4999'}\n"
        "tax:\n"
        "  jurisdictions: {US-TX: '2299'}\n"
    )
    assert rules.check(standard_chart()) == [
        ("accounts.clearing", "unknown account '1199'"),
        ("tax.jurisdictions.US-TX", "unknown account '2299'"),
        ("rules[0].accounts.revenue", "unknown account '4999'"),
    ]


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        ("rules:\n  - accounts: {revnue: '4010'}\n", "rules[0].accounts",
         "unknown account role 'revnue'"),
        ("rules:\n  - when: {type: invoce}\n", "rules[0].when", "unknown document type 'invoce'"),
        ("rules:\n  - when: {type: fee, colour: red}\n", "rules[0].when",
         "fee has no field 'colour'"),
        ("discounts: maybe\n", "discounts", "Input should be 'separate' or 'net'"),
        ("fields:\n  invoice:\n    number: {from: $.n, transform: shout}\n",
         "fields.invoice.number.transform", "unknown transform 'shout'"),
        ("methods:\n  payment: {card: 'the bank'}\n", "methods.payment",
         "'the bank' is neither a role nor an account code"),
        ("colour: blue\n", "colour", "Extra inputs are not permitted"),
        ("writeback:\n  - {on: nothing.paid, connection: crm, command: x}\n",
         "writeback[0].on", "unknown document type 'nothing'"),
    ],
)
def test_schema_errors_name_the_path(text, path, reason):
    problems = _problems(text)
    assert any(p == path and reason in r for p, r in problems), problems


def test_yaml_syntax_error():
    assert "not valid YAML" in _problems("rules: [\n")[0][1]
    assert _problems("- a list\n") == [("", "a mapping file is a YAML mapping (key: value)")]


def test_deep_merge_keeps_what_the_user_does_not_say():
    rules = load_rules("accounts: {bank: '1020'}\nmethods:\n  payment: {check: bank}\n")
    config = rules.config
    assert config.accounts["bank"] == "1020"
    assert config.accounts["receivable"] == "1100"
    assert config.methods.payment["check"] == "bank"
    assert config.methods.payment["card"] == "clearing"
    assert len(config.rules) == 2  # the built-in rules stay


def test_field_map_transforms():
    rules = load_rules(
        "fields:\n"
        "  invoice:\n"
        "    number: {from: $.doc_number, transform: [strip, upper]}\n"
        "    customer.name: $.client.display_name\n"
        "    issue_date: {from: $.date, transform: {date: '%d/%m/%Y'}}\n"
        "    total: {from: $.total_cents, transform: cents}\n"
        "    tax_total: {from: $.tax, transform: {minor_units: $.currency}}\n"
        "    currency: {from: $.currency, transform: upper}\n"
        "    status: {from: $.state, transform: {map: {sent: open, settled: paid, '*': draft}}}\n"
        "    memo: {from: '$.lines[1].note', transform: lower}\n"
        "    reference: {from: $.po, default: none given}\n"
        "    type: {value: invoice}\n"
    )
    raw = {
        "doc_number": "  inv-7 ", "client": {"display_name": "Acme"}, "date": "31/05/2024",
        "total_cents": 123456, "tax": "1500", "currency": "kwd", "state": "settled",
        "lines": [{}, {"note": "SECOND"}],
    }
    assert apply_field_map(raw, rules.config.field_map("invoice")) == {
        "number": "INV-7", "customer": {"name": "Acme"}, "issue_date": "2024-05-31",
        "total": "1234.56", "tax_total": "1.500", "currency": "KWD", "status": "paid",
        "memo": "second", "reference": "none given", "type": "invoice",
    }
    assert apply_field_map({**raw, "state": "odd"}, rules.config.field_map("invoice"))[
        "status"] == "draft"


def test_field_map_errors_name_the_field():
    with pytest.raises(FieldMapError, match=r"total: 12.5 is not an integer"):
        apply_field_map({"t": 12.5}, {"total": {"from": "$.t", "transform": "cents"}})
    with pytest.raises(FieldMapError, match=r"issue_date: '2024-05-31' is not a date like"):
        apply_field_map({"d": "2024-05-31"},
                        {"issue_date": {"from": "$.d", "transform": {"date": "%d/%m/%Y"}}})
    with pytest.raises(FieldMapError, match=r"status: 'x' is not one of \['a'\]"):
        apply_field_map({"s": "x"}, {"status": {"from": "$.s", "transform": {"map": {"a": 1}}}})


def test_source_of_truth_without_a_database():
    crm_wins = resolve("contact", "email", "old@x.example", "new@x.example",
                       theirs_from="hubspot")
    assert (crm_wins.value, crm_wins.winner, crm_wins.conflict) == (
        "new@x.example", "hubspot", True)
    ledger_wins = resolve("contact", "payment_status", "paid", "unpaid", theirs_from="hubspot")
    assert (ledger_wins.value, ledger_wins.winner, ledger_wins.master) == (
        "paid", "ledger", "ledger")
    same = resolve("contact", "email", "a@x.example", "a@x.example", theirs_from="hubspot")
    assert not same.conflict


def test_source_of_truth_conflict_is_logged(engine):
    rules = load_rules("source_of_truth:\n  invoice: {default: ledger, fields: {memo: crm}}\n")
    with engine.begin() as conn:
        kept = resolve("invoice", "status", "paid", "open", theirs_from="salesforce",
                       rules=rules, conn=conn, record="in_1")
        memo = resolve("invoice", "memo", "ours", "theirs", theirs_from="salesforce",
                       rules=rules, conn=conn, record="in_1")
        resolve("invoice", "number", "A-1", "A-1", theirs_from="salesforce", rules=rules,
                conn=conn)
    assert (kept.value, memo.value) == ("paid", "theirs")
    with engine.connect() as conn:
        rows = conn.execute(select(sync_log).order_by(sync_log.c.id)).all()
        assert conn.execute(select(func.count()).select_from(sync_log)).scalar() == 2
    assert [r.kind for r in rows] == ["conflict", "conflict"]
    assert rows[0].message == "invoice in_1.status: ledger wins over salesforce (ledger masters it)"
    assert rows[1].message == "invoice in_1.memo: salesforce wins over ledger (crm masters it)"
    details = json.loads(rows[0].details)
    assert details["ours"] == {"system": "ledger", "value": "paid"}
    assert details["theirs"] == {"system": "salesforce", "value": "open"}
