"""Each document type posts the expected balanced entry into a real ledger."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerbridge.documents import parse_document
from ledgerbridge.ledger import Account, AccountType
from ledgerbridge.mapping import load_rules
from ledgerbridge.sync.errors import FatalError, MissingDependency
from tests.documents import samples
from tests.mapping.helpers import add_connection_row, apply, no_lookup, post

RULES = load_rules(None)


def _usd(data: dict) -> dict:
    return {**data, "currency": "USD"}


def test_invoice(ledger):
    entry, lines = post(ledger, RULES, samples.invoice())
    assert entry.date == dt.date(2024, 5, 1)
    assert entry.memo == "Invoice INV-1001 - Acme Ltd"
    assert lines == [
        ("1100", 7930, 7930, "Acme Ltd"),
        ("4000", -2997, -2997, None),  # the line's own account hint
        ("4020", -5000, -5000, None),  # invoices default to services
        ("4050", 300, 300, None),
        ("2200", -196, -196, None),
        ("2200", -37, -37, None),
    ]
    assert entry.lines[0].due_date == dt.date(2024, 5, 31)
    assert [ln.memo for ln in entry.lines[4:]] == ["Tax US-CA", "Tax US-CA-SF"]


def test_invoice_discounts_net(ledger):
    rules = load_rules("discounts: net\n")
    _, lines = post(ledger, rules, samples.invoice())
    assert [(a, m) for a, m, _, _ in lines] == [
        ("1100", 7930), ("4000", -2697), ("4020", -5000), ("2200", -196), ("2200", -37),
    ]


def test_tax_per_jurisdiction_to_separate_accounts(ledger):
    ledger.add_accounts([
        Account("2210", "California Tax", AccountType.LIABILITY, "tax", "2000"),
        Account("2220", "San Francisco Tax", AccountType.LIABILITY, "tax", "2000"),
    ])
    rules = load_rules('tax:\n  jurisdictions: {"US-CA": "2210", "US-CA-SF": "2220"}\n')
    data = samples.invoice()
    data["lines"][1]["tax_lines"] = [{"jurisdiction": "US-CA-LA", "amount": "4.00"}]
    data["tax_total"], data["total"] = "6.33", "83.30"
    _, lines = post(ledger, rules, data)
    taxes = [(a, m) for a, m, _, _ in lines if a.startswith("22")]
    # US-CA-LA has no account of its own: its longest prefix US-CA applies.
    assert taxes == [("2210", -196), ("2220", -37), ("2210", -400)]


def test_tax_of_an_unlisted_jurisdiction_is_refused_not_guessed(ledger):
    ledger.add_accounts([Account("2210", "California Tax", AccountType.LIABILITY, "tax", "2000")])
    rules = load_rules('tax:\n  jurisdictions: {"US-CA": "2210", "US-NY": "2200"}\n')
    data = samples.invoice()
    data["lines"][1]["tax_lines"] = [{"jurisdiction": "US-TX", "amount": "4.00"}]
    data["tax_total"], data["total"] = "6.33", "83.30"
    with pytest.raises(FatalError, match=r"'US-TX' is not in the mapping's tax.jurisdictions "
                                         r"\(US-CA, US-NY\)") as caught:
        rules.for_ledger(ledger).entry_for(parse_document(data), no_lookup)
    assert caught.value.record == data["source"]["external_id"]


def test_without_listed_jurisdictions_all_tax_goes_to_sales_tax(ledger):
    data = samples.invoice()
    data["lines"][1]["tax_lines"] = [{"jurisdiction": "XX-NOWHERE", "amount": "4.00"}]
    data["tax_total"], data["total"] = "6.33", "83.30"
    _, lines = post(ledger, RULES, data)
    assert [(a, m) for a, m, _, _ in lines if a.startswith("22")] == [
        ("2200", -196), ("2200", -37), ("2200", -400)]


def test_credit_note_in_foreign_currency_uses_its_rate(ledger):
    data = {**samples.credit_note(), "exchange_rate": "1.10"}
    entry, lines = post(ledger, RULES, data)
    # Tax-inclusive: 11.90 EUR of which 1.90 tax; functional at 1.10.
    assert lines == [
        ("1100", -1309, -1190, "cus_42"),
        ("4020", 1100, 1000, None),
        ("2200", 209, 190, None),
    ]
    assert {ln.rate for ln in entry.lines} == {__import__("decimal").Decimal("1.10")}


def test_foreign_currency_without_rate_is_fatal(ledger):
    rules = RULES.for_ledger(ledger)
    with pytest.raises(FatalError, match="in EUR but the ledger keeps USD.*no exchange_rate"):
        rules.entry_for(parse_document(samples.credit_note()), no_lookup)


def test_bill_tax_into_expense(ledger):
    entry, lines = post(ledger, RULES, {**samples.bill(), "exchange_rate": "1.25"})
    assert lines == [("6100", 150000, 120000, None), ("2010", -150000, -120000, "contact-9")]
    assert entry.lines[1].due_date == dt.date(2024, 5, 2)


def test_bill_recoverable_tax(ledger):
    ledger.add_accounts([Account("1350", "VAT Recoverable", AccountType.ASSET, "tax", "1000")])
    rules = load_rules("accounts: {recoverable_tax: '1350'}\n")
    _, lines = post(ledger, rules, _usd(samples.bill()))
    assert [(a, m) for a, m, _, _ in lines] == [("6100", 100000), ("1350", 20000),
                                               ("2010", -120000)]


def test_bill_without_hint_goes_to_uncategorized(ledger):
    data = _usd(samples.bill())
    del data["lines"][0]["account"]
    _, lines = post(ledger, RULES, data)
    assert lines[0][:2] == ("6900", 120000)


def test_expense_reimbursable_in_yen(ledger):
    _, lines = post(ledger, RULES, {**samples.expense(), "exchange_rate": "0.0065"})
    # "Travel" is resolved through the account aliases; 2300 JPY x 0.0065 = 14.95 USD.
    assert lines == [("6350", 1495, 2300, None), ("2350", -1495, -2300, "emp_1")]


def test_expense_paid_by_card(ledger):
    data = {**_usd(samples.expense()), "reimbursable": False, "payment_method": "card"}
    data["lines"] = [{"description": "Hosting", "amount": "23.00", "account": "6250"}]
    _, lines = post(ledger, RULES, data)
    assert lines == [("6250", 2300, 2300, None), ("2100", -2300, -2300, None)]


def test_fee(ledger):
    _, lines = post(ledger, RULES, samples.fee())
    assert lines == [("6600", 2500, 2500, None), ("1150", -2500, -2500, None)]


def test_dispute_open_then_won(ledger):
    _, lines = post(ledger, RULES, samples.dispute())
    assert [(a, m) for a, m, _, _ in lines] == [("6800", 10000), ("6800", 1500),
                                               ("1150", -11500)]
    won = {**samples.dispute(), "status": "won"}
    won["source"] = {**won["source"], "external_id": "dp_2"}
    _, lines = post(ledger, RULES, won)
    assert [(a, m) for a, m, _, _ in lines] == [("6800", 1500), ("1150", -1500)]


def test_payout(ledger):
    _, lines = post(ledger, RULES, samples.payout())
    # the transit line is an open item of the processor, for the bank deposit to match
    assert lines == [("1160", 8180, 8180, "stripe"), ("1150", -8180, -8180, None)]


def test_order_with_shipping_gift_card_and_discounts(ledger):
    entry, lines = post(ledger, RULES, samples.order())
    assert entry.date == dt.date(2024, 6, 1)
    assert [(a, m) for a, m, _, _ in lines] == [
        ("1150", 3356),   # paid: 43.56 less the 10.00 gift card
        ("2400", 1000),
        ("4030", -500),
        ("4010", -4000),
        ("4050", 500),    # 4.00 line discount + 1.00 shipping discount
        ("2200", -356),
    ]


def test_unpaid_order_is_receivable(ledger):
    data = {**samples.order(), "financial_status": "pending",
            "customer": {"external_id": "c_jo", "name": "Jo"}}
    data.pop("refunds")
    _, lines = post(ledger, RULES, data)
    assert lines[0] == ("1100", 3356, 3356, "Jo")


def test_payroll_run(ledger):
    entry, lines = post(ledger, RULES, _usd(samples.payroll_run()))
    assert entry.date == dt.date(2024, 6, 28)
    assert [(a, m) for a, m, _, _ in lines] == [
        ("6010", 500000), ("6020", 50000), ("6010", 15000),
        ("2300", -90000), ("2300", -50000), ("2300", -15000), ("2300", -15000),
        ("1010", -395000),
    ]


@pytest.mark.parametrize("kind", ["deal", "bank_transaction", "contact", "item", "tax_rate"])
def test_documents_that_post_nothing(kind):
    assert RULES.entry_for(parse_document(samples.ALL[kind]()), no_lookup) is None


def test_draft_invoice_posts_nothing():
    draft = {**samples.invoice(), "status": "draft"}
    assert RULES.entry_for(parse_document(draft), no_lookup) is None


def _invoice(external_id: str, customer: str, total: str = "60.50", **extra) -> dict:
    return {
        "type": "invoice", "source": samples.source("invoice", external_id),
        "customer": {"external_id": f"cus_{customer}", "name": customer},
        "issue_date": "2024-05-01", "currency": "USD",
        "lines": [{"description": "Work", "amount": total}], **extra,
    }


def _payment(**extra) -> dict:
    return {
        "type": "payment", "source": samples.source("charge", "ch_1"), "date": "2024-05-20",
        "amount": "100.00", "currency": "USD", "method": "card", "processor": "stripe",
        "contact": {"external_id": "cus_42"}, "fee": "2.95",
        "applications": [
            {"document": {"external_id": "in_1"}, "amount": "60.50"},
            {"document": {"external_id": "in_2"}, "amount": "30.00"},
        ], **extra,
    }


def test_payment_waits_for_its_invoice_then_posts(ledger):
    cid = add_connection_row(ledger)
    with pytest.raises(MissingDependency) as waiting:
        apply(ledger, cid, RULES, _payment())
    assert waiting.value.key == "invoice:in_1"
    apply(ledger, cid, RULES, _invoice("in_1", "Acme"))
    apply(ledger, cid, RULES, _invoice("in_2", "Beta", "30.00"))
    applied = apply(ledger, cid, RULES, _payment())
    assert applied.outcome == "posted"
    lines = [(ln.account, ln.amount.minor, ln.party) for ln in
             ledger.entry(applied.entry_id).lines]
    assert lines == [
        ("1150", 9705, None),       # gross less the processor fee
        ("6600", 295, None),
        ("1100", -6050, "Acme"),    # the party comes from each invoice
        ("1100", -3000, "Beta"),
        ("2400", -950, "cus_42"),   # unapplied remainder
    ]


def test_refund_goes_back_through_its_payment(ledger):
    cid = add_connection_row(ledger)
    apply(ledger, cid, RULES, _invoice("in_1", "Acme"))
    apply(ledger, cid, RULES, _invoice("in_2", "Beta", "30.00"))
    apply(ledger, cid, RULES, _payment())
    applied = apply(ledger, cid, RULES, samples.refund())
    lines = [(ln.account, ln.amount.minor, ln.party) for ln in
             ledger.entry(applied.entry_id).lines]
    assert lines == [("4060", 1500, None), ("1150", -1500, None)]


def test_bank_transfer_payment_with_exchange_difference(ledger):
    invoice = {**_invoice("in_9", "Euro GmbH", "100.00"), "currency": "EUR",
               "exchange_rate": "1.10"}
    payment = {
        "type": "payment", "source": samples.source("transfer", "tr_9"), "date": "2024-06-01",
        "amount": "100.00", "currency": "EUR", "exchange_rate": "1.20",
        "method": "bank_transfer",
        "applications": [{"document": {"external_id": "in_9"}, "amount": "100.00"}],
    }
    doc = parse_document(invoice)
    _, lines = post(ledger, RULES, payment, lambda t, x: doc)
    # Received at 1.20 what was booked at 1.10: a 10.00 USD exchange gain.
    assert lines == [("1010", 12000, 10000, None), ("1100", -11000, -10000, "Euro GmbH"),
                     ("4920", -1000, -1000, None)]


def test_user_yaml_overrides_accounts(ledger):
    rules = load_rules(
        "accounts: {revenue: '4010'}\n"
        "rules:\n"
        "  - when: {type: fee, processor: stripe}\n"
        "    accounts: {processing_fees: '6650'}\n"
        "  - when: {type: invoice, customer.name: {in: [Acme Ltd]}}\n"
        "    accounts: {receivable: '1400'}\n"
    )
    _, fee = post(ledger, rules, samples.fee())
    assert fee[0][:2] == ("6650", 2500)
    _, invoice = post(ledger, rules, samples.invoice())
    # The connection's own revenue account wins over the built-in invoice rule.
    assert [(a, m) for a, m, _, _ in invoice[:3]] == [("1400", 7930), ("4000", -2997),
                                                     ("4010", -5000)]
    other = samples.invoice()
    other["customer"] = {"external_id": "c_9", "name": "Someone Else"}
    other["source"] = samples.source("invoice", "in_2")
    _, lines = post(ledger, rules, other)
    assert lines[0][0] == "1100"


def test_writeback_commands_are_deterministic():
    rules = load_rules(
        "writeback:\n"
        "  - {on: invoice.paid, connection: crm, command: mark_paid, fields: [number, total]}\n"
    )
    paid = parse_document({**samples.invoice(), "status": "paid"})
    first = rules.commands_for(paid, no_lookup)
    assert [(c.connection, c.command) for c in first] == [("crm", "mark_paid")]
    assert first[0].payload == {"type": "invoice", "connection": "demo",
                                "external_id": "in_1001", "status": "paid",
                                "number": "INV-1001", "total": "79.30"}
    assert rules.commands_for(paid, no_lookup)[0].key == first[0].key
    assert rules.commands_for(parse_document(samples.invoice()), no_lookup) == []
    assert RULES.commands_for(paid, no_lookup) == []
