"""Write-backs: invoices, payments and journals pushed once, whatever the network does."""

from __future__ import annotations

import pytest

from ledgerbridge.connectors.xero.client import RateLimited
from ledgerbridge.sync.errors import FatalError, RetriableError
from tests.connectors.xero.conftest import connect


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """These tests exercise the API client; storage is covered on both databases elsewhere."""
    return sqlite_url


def _invoice(number: str = "INV-9001", external_id: str = "inv_9001") -> dict:
    return {"type": "invoice", "source": {"connection": "shop", "object_type": "invoice",
                                          "external_id": external_id},
            "number": number, "customer": {"external_id": "cus_1", "name": "Acme Ltd"},
            "currency": "NZD",
            "issue_date": "2026-11-03", "due_date": "2026-12-03",
            "lines": [{"description": "Licence", "quantity": "3", "unit_price": "100.00",
                       "account": "200",
                       "tax_lines": [{"jurisdiction": "NZ", "amount": "45.00"}]},
                      {"description": "Setup", "quantity": "2", "unit_price": "30.00",
                       "discount": {"amount": "10.00"}}]}


def _invoices(xero) -> list[dict]:
    return list(xero.org.records["Invoices"].values())


def test_an_invoice_is_pushed_with_our_id_in_reference_and_pushed_once(ledger, xero):
    connector = connect(ledger, xero)
    payload = {**_invoice(), "idempotency_key": "push-1"}
    first = connector.write("push_invoice", payload)
    again = connector.write("push_invoice", {**payload, "idempotency_key": "push-2"})
    (stored,) = _invoices(xero)
    assert first.external_id == again.external_id == stored["InvoiceID"]
    assert (stored["Reference"], stored["InvoiceNumber"], stored["Status"]) == (
        "inv_9001", "INV-9001", "AUTHORISED")
    assert (str(stored["SubTotal"]), str(stored["TotalTax"]), str(stored["Total"])) == (
        "350.00", "45.00", "395.00")


@pytest.mark.parametrize("fault", [{"kind": "error"}, {"kind": "slow", "seconds": 0.6}])
def test_an_uncertain_outcome_is_resolved_by_looking_up_and_creates_one_invoice(
        ledger, xero, fault):
    connector = connect(ledger, xero, timeout_seconds=0.3)
    connector.write("push_invoice", {**_invoice("INV-1", "other"), "idempotency_key": "k0"})
    xero.control("/faults", collection="Invoices", **fault)
    result = connector.write("push_invoice", {**_invoice(), "idempotency_key": "k1"})
    assert [i["Reference"] for i in _invoices(xero)] == ["other", "inv_9001"]
    assert result.external_id == _invoices(xero)[1]["InvoiceID"]
    connector.write("push_invoice", {**_invoice(), "idempotency_key": "k1"})
    assert len(_invoices(xero)) == 2


def test_a_lost_create_is_retried_later_and_never_duplicated(ledger, xero):
    connector = connect(ledger, xero)
    connector.client.tenant_id  # noqa: B018  (settle the tenant before the fault)
    xero.control("/faults", collection="Invoices")
    original = connector.client.list
    hidden = {"calls": 0}

    def list_missing_first(collection: str, **kwargs):  # Xero not yet showing the new row
        hidden["calls"] += 1
        return [] if hidden["calls"] <= 2 else original(collection, **kwargs)
    connector.client.list = list_missing_first
    with pytest.raises(RetriableError, match="HTTP 500"):
        connector.write("push_invoice", {**_invoice(), "idempotency_key": "k1"})
    connector.write("push_invoice", {**_invoice(), "idempotency_key": "k1"})
    assert len(_invoices(xero)) == 1


def test_a_refused_invoice_is_fatal_with_xeros_message(ledger, xero):
    connector = connect(ledger, xero)
    payload = _invoice()
    payload["lines"][0]["account"] = "999"
    with pytest.raises(FatalError, match="Account code '999' is not a valid code"):
        connector.write("push_invoice", {**payload, "idempotency_key": "k"})


def test_a_payment_is_pushed_against_our_invoice_and_settles_it_in_xero(ledger, xero):
    connector = connect(ledger, xero)
    connector.write("push_invoice", {**_invoice(), "idempotency_key": "inv"})
    payment = {"type": "payment", "source": {"connection": "bank", "object_type": "payment",
                                             "external_id": "pay_1"},
               "date": "2026-11-20", "amount": "395.00", "currency": "NZD",
               "applications": [{"document": {"external_id": "inv_9001"},
                                 "amount": "395.00"}],
               "idempotency_key": "pay"}
    result = connector.write("push_payment", payment)
    connector.write("push_payment", {**payment, "idempotency_key": "pay-again"})
    (stored,) = xero.org.records["Payments"].values()
    assert (result.external_id, stored["Reference"], str(stored["Amount"])) == (
        stored["PaymentID"], "pay_1", "395.00")
    assert _invoices(xero)[0]["Status"] == "PAID"


def test_a_payment_for_an_invoice_not_in_xero_waits(ledger, xero):
    connector = connect(ledger, xero)
    payment = {"type": "payment", "source": {"connection": "bank", "object_type": "payment",
                                             "external_id": "pay_2"},
               "date": "2026-11-20", "amount": "10.00", "currency": "NZD",
               "applications": [{"document": {"external_id": "inv_missing"},
                                 "amount": "10.00"}], "idempotency_key": "p"}
    with pytest.raises(RetriableError, match="inv_missing is not in Xero"):
        connector.write("push_payment", payment)


def test_a_manual_journal_is_pushed_once_and_must_balance(ledger, xero):
    connector = connect(ledger, xero)
    journal = {"external_id": "je_42", "date": "2026-11-30", "narration": "Accrued rent",
               "lines": [{"account": "429", "amount": "1200.00", "description": "Rent"},
                         {"account": "800", "amount": "-1200.00"}],
               "idempotency_key": "je"}
    first = connector.write("push_manual_journal", journal)
    again = connector.write("push_manual_journal", {**journal, "idempotency_key": "je2"})
    (stored,) = xero.org.records["ManualJournals"].values()
    assert first.external_id == again.external_id == stored["ManualJournalID"]
    assert stored["Narration"] == "Accrued rent [ref je_42]"
    unbalanced = {**journal, "external_id": "je_43",
                  "lines": [{"account": "429", "amount": "1"}, {"account": "800",
                                                                "amount": "-2"}]}
    with pytest.raises(FatalError, match="add up to -1"):
        connector.write("push_manual_journal", unbalanced)


def test_a_rate_limited_write_is_retriable_with_the_wait(ledger, xero):
    connector = connect(ledger, xero)
    connector.client.tenant_id  # noqa: B018
    xero.control("/limits", minute=1, day=100)
    connector.client.list("Accounts")
    with pytest.raises(RateLimited) as caught:
        connector.write("push_invoice", {**_invoice(), "idempotency_key": "k"})
    assert caught.value.retry_after >= 1 and _invoices(xero) == []


def test_unknown_commands_and_payloads_without_a_key_are_fatal(ledger, xero):
    connector = connect(ledger, xero)
    with pytest.raises(FatalError, match="no write-back 'mark_paid'"):
        connector.write("mark_paid", {"idempotency_key": "k"})
    with pytest.raises(FatalError, match="no idempotency_key"):
        connector.write("push_invoice", _invoice())
