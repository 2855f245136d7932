"""Bills and their settlements reach QuickBooks and Xero, each settlement paid once.

A bill arrives through the "demo" webhook connection and is pushed to an emulated
package (a real HTTP server); a bank debit reconciled against it, or a payment
applied to it, becomes one payment of the package's bill, delivered by the outbox
as the sync worker does. Reruns, timeouts and undos leave exactly the ledger's
settlements paid there.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from ledgerbridge.documents import parse_document
from ledgerbridge.ledger import Ledger
from ledgerbridge.money import Money
from ledgerbridge.reconcile import accept, run, undo
from ledgerbridge.store.tables import (
    connections,
    outbox,
    reconciliation_links,
    reconciliations,
    target_bill_payments,
)
from ledgerbridge.sync.outbox import deliver_due
from ledgerbridge.sync.settlement import bill_state, first_version
from ledgerbridge.unified import BillPayment, Bridge, LedgerAdapter, adapter_for
from ledgerbridge.unified.bill_payments import reference
from ledgerbridge.unified.links import find_link
from tests.connectors.quickbooks.conftest import QuickBooks
from tests.connectors.quickbooks.conftest import connect as connect_qbo
from tests.connectors.xero.conftest import Xero
from tests.connectors.xero.conftest import connect as connect_xero
from tests.reconcile.test_reconcile import bank
from tests.unified.demo_month import SOURCE

DAY = dt.date(2026, 3, 2)
_numbers = itertools.count(7001)


@dataclass
class Package:
    """An emulated package connected as "books", and what the tests read from it."""

    name: str
    bill: Callable[[str], tuple[Decimal, Decimal]]  # its id -> (total, balance)
    payments: Callable[[str], list[Decimal]]  # its bill id -> amounts of live payments
    fail_next_write: Callable[[], None]


def _mapping(expense: str, bank_account: str) -> str:
    return (f"version: 1\ntargets:\n  books:\n    accounts:\n"
            f"      \"6100\": \"{expense}\"\n      \"1010\": \"{bank_account}\"\n")


def _set_mapping(ledger: Ledger, text: str) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(update(connections).where(connections.c.name == "books")
                     .values(mapping=text))


def _quickbooks(ledger: Ledger, qbo: QuickBooks) -> Package:
    connect_qbo(ledger.engine, qbo, "books", timeout_seconds=0.8)
    expense = qbo.save("Account", Name="Office Supplies", AccountType="Expense")["Id"]
    checking = qbo.save("Account", Name="Checking", AccountType="Bank")["Id"]
    _set_mapping(ledger, _mapping(expense, checking))

    def bill(bill_id: str) -> tuple[Decimal, Decimal]:
        found = qbo.company.records["Bill"][bill_id]
        return Decimal(str(found["TotalAmt"])), Decimal(str(found["Balance"]))

    def payments(bill_id: str) -> list[Decimal]:
        found = []
        for payment in qbo.company.records["BillPayment"].values():
            assert payment["CheckPayment"]["BankAccountRef"]["value"] == checking
            found += [Decimal(str(line["Amount"])) for line in payment["Line"]
                      if line["LinkedTxn"][0] == {"TxnId": bill_id, "TxnType": "Bill"}]
        return found

    return Package("quickbooks", bill, payments,
                   lambda: qbo.control("/faults", {"after_write": ["timeout"]}))


def _xero(ledger: Ledger, xero: Xero) -> Package:
    connect_xero(ledger, xero, "books")
    xero.control("/limits", minute=100_000, day=1_000_000)  # many examples in a minute
    _set_mapping(ledger, _mapping("429", "090"))

    def bill(bill_id: str) -> tuple[Decimal, Decimal]:
        found = xero.org.records["Invoices"][bill_id]
        assert found["Type"] == "ACCPAY"
        assert (found["Status"] == "PAID") == (found["AmountDue"] == 0)
        return Decimal(found["Total"]), Decimal(found["AmountDue"])

    def payments(bill_id: str) -> list[Decimal]:
        return [Decimal(p["Amount"]) for p in xero.org.records["Payments"].values()
                if p["Invoice"]["InvoiceID"] == bill_id and p["Status"] != "DELETED"
                and p["PaymentType"] == "ACCPAYPAYMENT" and p["Account"]["Code"] == "090"]

    return Package("xero", bill, payments,
                   lambda: xero.control("/faults", collection="Payments", kind="error"))


@pytest.fixture(params=["quickbooks", "xero"])
def package(request: pytest.FixtureRequest, books: Ledger) -> Package:
    """Each emulated package, connected as "books" with accounts for 6100 and 1010."""
    if request.param == "quickbooks":
        return _quickbooks(books, request.getfixturevalue("qbo"))
    return _xero(books, request.getfixturevalue("xero"))


def post_bill(ledger: Ledger, amount: str, vendor: str = "Hooli LLC") -> str:
    """A bill of the "demo" webhook connection on expense account 6100; its number."""
    number = f"B-{next(_numbers)}"
    LedgerAdapter(ledger.engine).create("bills", parse_document({
        "type": "bill", "source": {"connection": SOURCE, "object_type": "bill",
                                   "external_id": number},
        "number": number, "vendor": {"external_id": "hooli", "name": vendor},
        "issue_date": DAY.isoformat(), "due_date": (DAY + dt.timedelta(30)).isoformat(),
        "currency": "USD",
        "lines": [{"description": "Servers", "amount": amount, "account": "6100"}]}))
    return number


def pay_by_bank(ledger: Ledger, number: str, amount: str, vendor: str = "Hooli") -> int:
    """A bank debit naming the bill, reconciled (a part is accepted by hand); its id."""
    line = bank(ledger, f"-{amount}", f"{number} {vendor.upper()}", vendor,
                DAY + dt.timedelta(3))
    run(ledger)
    with ledger.engine.connect() as conn:
        found = conn.execute(
            select(reconciliations.c.id, reconciliations.c.status)
            .join(reconciliation_links,
                  reconciliation_links.c.reconciliation_id == reconciliations.c.id)
            .where(reconciliation_links.c.bank_line_id == line,
                   reconciliations.c.status.in_(("accepted", "proposed")))
            .order_by(reconciliations.c.confidence.desc())).first()
    if found.status == "proposed":
        accept(ledger, found.id)
    return found.id


def pay_by_document(ledger: Ledger, number: str, amount: str) -> None:
    """A payment sent from the bank account and applied to the bill, from the webhook."""
    LedgerAdapter(ledger.engine).create("payments", parse_document({
        "type": "payment", "source": {"connection": SOURCE, "object_type": "payment",
                                      "external_id": f"PAY-{next(_numbers)}"},
        "direction": "sent", "date": (DAY + dt.timedelta(1)).isoformat(), "amount": amount,
        "currency": "USD", "contact": {"external_id": "hooli", "name": "Hooli LLC"},
        "applications": [{"document_type": "bill", "amount": amount,
                          "document": {"external_id": number}}]}))


def push(ledger: Ledger) -> list[Any]:
    """``ledgerbridge unified push books``: everything outstanding goes."""
    outcomes = Bridge(ledger.engine, adapter_for(ledger.engine, "books"), accept_gaps=True).push()
    assert [o for o in outcomes if o.action == "failed"] == []
    return outcomes


def remote_bill(ledger: Ledger, number: str) -> str:
    """The package's id of a pushed bill."""
    record = next(r for r in LedgerAdapter(ledger.engine).list("bills", limit=500).items
                  if r.data.source.external_id == number)
    with ledger.engine.connect() as conn:
        books = conn.execute(select(connections.c.id).where(
            connections.c.name == "books")).scalar_one()
        link = find_link(conn, books, "bills", document_id=int(record.id))
    assert link is not None
    return link.remote_id


def outbox_rows(ledger: Ledger) -> list[Any]:
    with ledger.engine.connect() as conn:
        return list(conn.execute(select(outbox).where(outbox.c.command == "settle_bill")))


def test_a_reconciled_bank_debit_pays_the_bill_once(books, package):
    number = post_bill(books, "1200.00")
    outcomes = push(books)
    assert {(o.kind, o.action) for o in outcomes} >= {("bills", "created")}
    bill_id = remote_bill(books, number)
    assert package.bill(bill_id) == (Decimal("1200.00"), Decimal("1200.00"))
    pay_by_bank(books, number, "1200.00")
    (queued,) = outbox_rows(books)
    assert queued.status == "pending"  # queued by the reconciliation, in its transaction
    assert deliver_due(books.engine) == 1
    assert package.bill(bill_id) == (Decimal("1200.00"), Decimal("0"))
    assert package.payments(bill_id) == [Decimal("1200.00")]
    # delivering again, pushing again: nothing more is paid
    assert deliver_due(books.engine) == 0
    assert all(o.action == "unchanged" for o in push(books))
    assert package.payments(bill_id) == [Decimal("1200.00")]
    assert [r.status for r in outbox_rows(books)] == ["sent"]


def test_a_part_paid_by_a_payment_then_the_rest_by_the_bank(books, package):
    number = post_bill(books, "1200.00")
    push(books)
    bill_id = remote_bill(books, number)
    pay_by_document(books, number, "500.00")
    deliver_due(books.engine)
    assert package.bill(bill_id) == (Decimal("1200.00"), Decimal("700.00"))
    pay_by_bank(books, number, "700.00")
    deliver_due(books.engine)
    assert package.bill(bill_id) == (Decimal("1200.00"), Decimal("0"))
    assert sorted(package.payments(bill_id)) == [Decimal("500.00"), Decimal("700.00")]


def test_undo_deletes_the_payment_and_reopens_the_bill(books, package):
    number = post_bill(books, "1200.00")
    push(books)
    bill_id = remote_bill(books, number)
    reconciliation = pay_by_bank(books, number, "1200.00")
    deliver_due(books.engine)
    assert package.payments(bill_id) == [Decimal("1200.00")]
    undo(books, reconciliation)
    assert deliver_due(books.engine) == 1
    assert package.payments(bill_id) == []
    assert package.bill(bill_id) == (Decimal("1200.00"), Decimal("1200.00"))
    with books.engine.connect() as conn:
        assert conn.execute(select(target_bill_payments.c.status)).scalars().all() == [
            "undone"]
    assert run(books).auto_accepted == 1  # the bank line matches again: a new payment
    deliver_due(books.engine)
    assert package.payments(bill_id) == [Decimal("1200.00")]


def test_settlements_made_before_the_bill_was_pushed_go_with_the_push(books, package):
    number = post_bill(books, "900.00")
    pay_by_bank(books, number, "900.00")
    assert outbox_rows(books) == []  # no package holds the bill yet
    push(books)
    bill_id = remote_bill(books, number)
    assert package.bill(bill_id) == (Decimal("900.00"), Decimal("0"))
    assert package.payments(bill_id) == [Decimal("900.00")]


def test_a_package_timeout_on_the_write_still_pays_once(books, package):
    number = post_bill(books, "1200.00")
    push(books)
    bill_id = remote_bill(books, number)
    pay_by_bank(books, number, "1200.00")
    package.fail_next_write()  # saved in the package, then the answer is lost
    deliver_due(books.engine)
    deliver_due(books.engine)
    push(books)
    assert package.payments(bill_id) == [Decimal("1200.00")]
    assert package.bill(bill_id) == (Decimal("1200.00"), Decimal("0"))
    with books.engine.connect() as conn:
        assert conn.execute(select(target_bill_payments.c.status)).scalars().all() == [
            "pushed"]


@pytest.mark.parametrize("package", ["quickbooks"], indirect=True)
def test_a_write_cut_short_by_a_crash_is_found_again_not_repeated(books, package, qbo):
    number = post_bill(books, "1200.00")
    push(books)
    bill_id = remote_bill(books, number)
    pay_by_bank(books, number, "1200.00")
    qbo.control("/faults", {"throttle": 100})  # refused: the settlement stays pending
    deliver_due(books.engine)
    qbo.control("/faults", {"throttle": 0})
    with books.engine.connect() as conn:
        row = conn.execute(select(target_bill_payments)).one()
    assert (row.status, package.payments(bill_id)) == ("pending", [])
    # a worker that died after the package saved the payment, before recording it
    adapter_for(books.engine, "books").pay_bill(bill_id, BillPayment(
        reference(row.id), row.date, Money(row.amount, row.currency), _checking(qbo),
        "Paid before the crash"))
    push(books)
    assert package.payments(bill_id) == [Decimal("1200.00")]
    with books.engine.connect() as conn:
        assert conn.execute(select(target_bill_payments.c.status)).scalar_one() == "pushed"


def _checking(qbo: QuickBooks) -> str:
    return next(a["Id"] for a in qbo.company.records["Account"].values()
                if a["AccountType"] == "Bank")


def test_an_unmapped_bank_account_is_named_and_nothing_is_paid(books, package):
    number = post_bill(books, "300.00")
    push(books)
    bill_id = remote_bill(books, number)
    _set_mapping(books, "version: 1\ntargets:\n  books:\n    accounts:\n"
                        "      \"6100\": \"429\"\n")
    pay_by_bank(books, number, "300.00")
    outcomes = Bridge(books.engine, adapter_for(books.engine, "books"),
                      accept_gaps=True).push(("bills",))
    (failed,) = [o for o in outcomes if o.action == "failed"]
    assert "our account 1010 has no package account" in failed.detail
    assert "targets.books.accounts" in failed.detail
    assert package.payments(bill_id) == []


def _settlements(ledger: Ledger, number: str) -> list[Any]:
    """What settles the bill in the ledger now."""
    with ledger.engine.connect() as conn:
        source = conn.execute(select(connections.c.id).where(
            connections.c.name == SOURCE)).scalar_one()
        bill_id = first_version(conn, source, "bill", number)
        state = None if bill_id is None else bill_state(conn, bill_id)
    return [] if state is None else list(state.settlements)


_STEPS = st.lists(st.tuples(st.sampled_from(("bank", "pay", "undo", "push")),
                            st.integers(1, 600), st.booleans()), min_size=1, max_size=6)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("package", ["quickbooks", "xero"], indirect=True)
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=_STEPS)
def test_the_package_ends_paid_what_the_ledger_paid(books, package, steps):
    """Any sequence of settlements, undos and pushes, delivered or not between them."""
    number = post_bill(books, "1000.00")  # a new bill for each example
    push(books)
    bill_id = remote_bill(books, number)
    mine: list[int] = []
    for action, amount, delivered in steps:
        paid = sum(s.amount.minor for s in _settlements(books, number))
        if action in ("bank", "pay") and amount * 100 <= 100000 - paid:
            if action == "bank":
                mine.append(pay_by_bank(books, number, f"{amount}.00"))
            else:
                pay_by_document(books, number, f"{amount}.00")
        elif action == "undo" and mine:
            undo(books, mine.pop(amount % len(mine)))
        elif action == "push":
            push(books)
        if delivered:
            deliver_due(books.engine)
    deliver_due(books.engine)
    settled = _settlements(books, number)
    total, balance = package.bill(bill_id)
    assert total - balance == Money(sum(s.amount.minor for s in settled), "USD").decimal
    assert sorted(package.payments(bill_id)) == sorted(s.amount.decimal for s in settled)
