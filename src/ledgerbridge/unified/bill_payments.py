"""Bill payments: each settlement of a ledger bill paid once on its copy in a package.

A bill ``Bridge.push`` sent to QuickBooks or Xero (linked in ``unified_links``) is
settled in the ledger by accepted reconciliations of its payable line and by
Payment documents applied to it (:func:`ledgerbridge.sync.settlement.bill_state`).
``settle_bills`` brings the package in step, settlement by settlement: a new one is
first recorded as *pending* in ``target_bill_payments``, then paid in the package
under its reference ``LBP<row id>`` (QuickBooks BillPayment ``DocNumber``, Xero
payment ``Reference``), then marked *pushed*. A write whose outcome is unknown (a
timeout, a crash) leaves the row pending; the next run pays it again under the same
reference, and the adapter finds the payment already made instead of making a
second. A settlement that went away (an undone reconciliation, a payment no longer
applied) has its payment deleted in the package and is marked *undone*. While a run
writes a row it holds a short lease on it, so two deliverers never pay it twice.

It runs from ``Bridge.push`` (everything outstanding) and from the outbox: a
reconciliation or payment that changes a linked bill's settlements queues a
``settle_bill`` command for each package holding the bill, and the sync worker's
delivery calls :func:`deliver` with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import Engine, delete, or_, select, update

from ledgerbridge.mapping import MappingError, rules_for_connection
from ledgerbridge.money import Money
from ledgerbridge.store.bulk import insert_ignoring_conflicts
from ledgerbridge.store.tables import connections, target_bill_payments, unified_links
from ledgerbridge.sync.connections import ConnectionRecord, get_connection
from ledgerbridge.sync.errors import FatalError, RetriableError, SyncError
from ledgerbridge.sync.settlement import BillSettlement, bill_state
from ledgerbridge.unified.adapters import adapter_for
from ledgerbridge.unified.errors import UnifiedError
from ledgerbridge.unified.model import BillPayment, Outcome

__all__ = ["KIND", "LEASE", "BillPayer", "deliver", "reference", "settle_bills",
           "target_accounts"]

KIND = "bill-payments"
"""The kind bill payment outcomes are reported under."""

LEASE = dt.timedelta(minutes=2)  # longer than any package call (connectors time out in 30 s)


class BillPayer(Protocol):
    """A package adapter that pays the bills it holds (QuickBooks, Xero)."""

    connection: str

    def pay_bill(self, bill_id: str, payment: BillPayment) -> str:
        """Pay the package's bill ``bill_id`` once under ``payment.reference``; its id."""

    def unpay_bill(self, reference: str) -> None:
        """Delete the payment made under ``reference``, if there is one."""


def reference(row_id: int) -> str:
    """Our reference of a bill payment row, carried by the package's payment."""
    return f"LBP{row_id}"


def target_accounts(record: ConnectionRecord) -> dict[str, str]:
    """Our account code -> the package's account, from the connection's ``targets:`` entry."""
    try:
        config = rules_for_connection(record.system, record.mapping).config
    except (MappingError, SyncError) as exc:
        raise FatalError(f"the mapping of connection {record.name!r} cannot be read: {exc}",
                         connection=record.name) from None
    target = config.targets.get(record.name)
    return {} if target is None else dict(target.accounts)


def settle_bills(engine: Engine, payer: BillPayer, *, connection_id: int,
                 accounts: Mapping[str, str], bills: Iterable[int] | None = None
                 ) -> list[Outcome]:
    """Pay, or delete the payments of, what changed in the settlements of linked bills.

    ``bills`` are first version rows of bills; None: every bill linked on the
    connection. ``accounts`` maps the account a settlement was paid from to the
    package's. A bill not linked yet is left for the push that links it.
    """
    query = select(unified_links.c.document_id, unified_links.c.remote_id).where(
        unified_links.c.connection_id == connection_id, unified_links.c.kind == "bills")
    if bills is not None:
        query = query.where(unified_links.c.document_id.in_(sorted(set(bills)) or [-1]))
    with engine.connect() as conn:
        links = conn.execute(query.order_by(unified_links.c.document_id)).all()
    outcomes: list[Outcome] = []
    for bill_id, remote_id in links:
        outcomes += _settle_one(engine, payer, connection_id, accounts, bill_id, remote_id)
    return outcomes


def _settle_one(engine: Engine, payer: BillPayer, connection_id: int,
                accounts: Mapping[str, str], bill_id: int, remote_id: str) -> list[Outcome]:
    table = target_bill_payments
    with engine.begin() as conn:
        state = bill_state(conn, bill_id)
        wanted = {} if state is None else {s.key: s for s in state.settlements}
        mine = (table.c.connection_id == connection_id) & (table.c.bill_id == bill_id)
        known = {r.settlement: r for r in conn.execute(select(table).where(mine))}
        for key, settlement in wanted.items():
            row = known.get(key)
            if row is not None and row.status == "undone":  # back again: a new payment
                conn.execute(delete(table).where(table.c.id == row.id))
            if row is None or row.status == "undone":
                insert_ignoring_conflicts(conn, table, _pending(connection_id, bill_id,
                                                                settlement))
        rows = conn.execute(select(table).where(mine).order_by(table.c.id)).all()
    bill = "a bill no longer posted" if state is None else \
        f"bill {state.bill.source.connection}/{state.bill.source.external_id}"
    outcomes = []
    for row in rows:
        name = f"{reference(row.id)} ({row.settlement}) of {bill}"
        if row.settlement in wanted and row.status == "pending":
            outcomes.append(_pay(engine, payer, row, remote_id, accounts, name))
        elif row.settlement not in wanted and row.status in ("pending", "pushed"):
            outcomes.append(_unpay(engine, payer, row, name))
    return outcomes


def _pending(connection_id: int, bill_id: int, settlement: BillSettlement) -> dict[str, Any]:
    return {"connection_id": connection_id, "bill_id": bill_id, "settlement": settlement.key,
            "date": settlement.date, "amount": settlement.amount.minor,
            "currency": settlement.amount.currency, "account": settlement.account,
            "status": "pending"}


def _lease(engine: Engine, row_id: int, status: str) -> bool:
    """Take the row for one write, unless another run holds it."""
    table, now = target_bill_payments, dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        taken = conn.execute(update(table).where(
            table.c.id == row_id, table.c.status == status,
            or_(table.c.leased_until.is_(None), table.c.leased_until < now))
            .values(leased_until=now + LEASE)).rowcount
    return taken == 1


def _finish(engine: Engine, row_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(target_bill_payments).where(target_bill_payments.c.id == row_id)
                     .values(leased_until=None, **values))


def _memo(row: Any) -> str:
    what = f"bank reconciliation {row.settlement[1:]}" if row.settlement.startswith("r") \
        else f"payment {row.settlement.split(':')[1]}"
    return f"Paid from {row.account} ({what})"


def _pay(engine: Engine, payer: BillPayer, row: Any, remote_id: str,
         accounts: Mapping[str, str], name: str) -> Outcome:
    account = accounts.get(row.account)
    if account is None:
        return Outcome(KIND, name, "failed", f"{name}: our account {row.account} has no "
                       f"package account; add it under targets.{payer.connection}.accounts "
                       f"(`ledgerbridge accounts map {payer.connection}` suggests one)")
    if not _lease(engine, row.id, "pending"):
        return Outcome(KIND, name, "unchanged", "another run is writing it")
    payment = BillPayment(reference(row.id), row.date, Money(row.amount, row.currency),
                          account, _memo(row))
    try:
        remote = payer.pay_bill(remote_id, payment)
    except UnifiedError as exc:
        _finish(engine, row.id)  # still pending: the next run pays it under the same reference
        return Outcome(KIND, name, "failed", exc.detail)
    _finish(engine, row.id, status="pushed", remote_id=remote)
    return Outcome(KIND, name, "created")


def _unpay(engine: Engine, payer: BillPayer, row: Any, name: str) -> Outcome:
    if not _lease(engine, row.id, row.status):
        return Outcome(KIND, name, "unchanged", "another run is writing it")
    try:
        payer.unpay_bill(reference(row.id))
    except UnifiedError as exc:
        _finish(engine, row.id)
        return Outcome(KIND, name, "failed", exc.detail)
    _finish(engine, row.id, status="undone")
    return Outcome(KIND, name, "deleted")


def deliver(engine: Engine, connection_id: int, payload: Mapping[str, Any]) -> None:
    """Carry out an outbox ``settle_bill`` command: ``payload["bill"]`` on the connection.

    A failure raises RetriableError (the outbox tries again with backoff); a
    connection the unified API cannot reach raises FatalError.
    """
    with engine.connect() as conn:
        name = conn.execute(select(connections.c.name).where(
            connections.c.id == connection_id)).scalar_one()
        record = get_connection(conn, name)
    try:
        payer = adapter_for(engine, record.name)
    except UnifiedError as exc:
        raise FatalError(exc.detail, connection=record.name) from None
    if not hasattr(payer, "pay_bill"):
        raise FatalError(f"connection {record.name!r} does not hold bills",
                         connection=record.name)
    outcomes = settle_bills(engine, payer, connection_id=connection_id,
                            accounts=target_accounts(record), bills=[int(payload["bill"])])
    failed = [o.detail for o in outcomes if o.action == "failed"]
    if failed:
        raise RetriableError("; ".join(failed), connection=record.name)
