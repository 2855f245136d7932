"""Payout-centric, three-way reconciliation of payment processors.

Sales (invoices, orders) are paid through a processor; the processor's balance
transactions (charges, fees, refunds, disputes, FX) add up to each payout; each
payout lands in the bank as one deposit. This report checks the two joins a finance
team checks by hand at month end: that a payout's balance transactions sum to its
amount, and that the payout's transit line was matched to a bank line. With every
payout landed, the processor clearing and transit accounts hold only what is not yet
paid out: the report's ``clearing`` and ``transit`` figures say how much that is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, and_, func, select

from ledgerbridge.documents import Payout, parse_document
from ledgerbridge.ledger import Ledger
from ledgerbridge.mapping import load_rules, rules_for_connection
from ledgerbridge.money import Money
from ledgerbridge.report import Column, ColumnKind, Report
from ledgerbridge.store.tables import (
    accounts,
    bank_lines,
    connections,
    documents,
    journal_lines,
    reconciliation_links,
    reconciliations,
)

__all__ = ["PayoutCheck", "check_payouts", "payout_report"]


@dataclass(frozen=True, slots=True)
class PayoutCheck:
    """One payout and what its two joins show."""

    connection: str
    payout: Payout
    transactions_net: Money | None  # None: the processor listed no transactions
    landed_on: dt.date | None

    @property
    def difference(self) -> Money | None:
        """Payout net less its transactions' net (zero when they agree)."""
        if self.transactions_net is None:
            return None
        return self.payout.net - self.transactions_net

    @property
    def problem(self) -> str | None:
        """Why this payout needs a look, or None when it is in order."""
        payout = self.payout
        if payout.status in ("failed", "canceled"):
            return f"payout {payout.status}: its funds went back to the processor balance"
        if payout.gross - payout.fees != payout.net:
            return (f"gross {payout.gross.text()} less fees {payout.fees.text()} is not "
                    f"net {payout.net.text()}")
        if self.transactions_net is None:
            return "the processor listed no balance transactions for it"
        if self.difference is not None and self.difference.minor:
            return (f"its balance transactions add up to {self.transactions_net.text()}, "
                    f"not {payout.net.text()}")
        if self.landed_on is None and payout.status == "paid":
            return "paid out, but no bank line is matched to it yet"
        return None


def check_payouts(ledger: Ledger, *, connection: str | None = None) -> list[PayoutCheck]:
    """Every current payout of the entity's connections, checked, oldest first."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(connections.c.name, documents.c.data, documents.c.entry_id)
            .join(connections, connections.c.id == documents.c.connection_id)
            .where(connections.c.entity_id == ledger.entity.id,
                   documents.c.type == "payout", documents.c.status == "current",
                   *([connections.c.name == connection] if connection else []))
            .order_by(documents.c.id)
        ).all()
        landed = _landing_dates(conn, [r.entry_id for r in rows if r.entry_id is not None])
    checks = []
    for row in rows:
        payout = cast(Payout, parse_document(row.data))
        listed = payout.balance_transactions
        net = None
        if listed:
            net = Money(sum(bt.net.minor for bt in listed), payout.currency)
        checks.append(PayoutCheck(row.name, payout, net, landed.get(row.entry_id)))
    checks.sort(key=lambda c: (c.payout.date, c.connection, c.payout.source.external_id))
    return checks


def _landing_dates(conn: Connection, entry_ids: list[int]) -> dict[int, dt.date]:
    """Entry id -> date of the bank line an accepted reconciliation matched to it."""
    if not entry_ids:
        return {}
    book, bank = reconciliation_links.alias("book_link"), reconciliation_links.alias("bank_link")
    query = (
        select(journal_lines.c.entry_id, func.max(bank_lines.c.booking_date))
        .join(book, book.c.journal_line_id == journal_lines.c.id)
        .join(reconciliations, and_(reconciliations.c.id == book.c.reconciliation_id,
                                    reconciliations.c.status == "accepted"))
        .join(bank, bank.c.reconciliation_id == reconciliations.c.id)
        .join(bank_lines, bank_lines.c.id == bank.c.bank_line_id)
        .where(journal_lines.c.entry_id.in_(entry_ids))
        .group_by(journal_lines.c.entry_id)
    )
    return dict(conn.execute(query).all())


def _role_balances(ledger: Ledger, connection_names: set[str]) -> dict[str, int]:
    """Balances of the clearing and transit accounts the given connections post to."""
    with ledger.engine.connect() as conn:
        stored = conn.execute(select(connections.c.system, connections.c.mapping).where(
            connections.c.entity_id == ledger.entity.id,
            connections.c.name.in_(connection_names))).all()
        configs = ([rules_for_connection(system, text).config for system, text in stored]
                   or [load_rules(None).config])
        codes: dict[str, set[str]] = {"clearing": set(), "transit": set()}
        for config in configs:
            roles = config.effective_accounts([])
            for role, found in codes.items():
                if roles.get(role):
                    found.add(roles[role])
        out = {}
        for role, found in codes.items():
            out[role] = int(conn.execute(
                select(func.coalesce(func.sum(journal_lines.c.amount), 0))
                .join(accounts, accounts.c.id == journal_lines.c.account_id)
                .where(accounts.c.entity_id == ledger.entity.id, accounts.c.code.in_(found))
            ).scalar_one())
    return out


def payout_report(ledger: Ledger, *, connection: str | None = None,
                  problems_only: bool = False) -> Report:
    """The payouts with their transactions' sum, landing date and any problem."""
    checks = check_payouts(ledger, connection=connection)
    balances = _role_balances(ledger, {c.connection for c in checks} or
                              ({connection} if connection else set()))
    rows = [
        {"connection": c.connection, "payout": c.payout.source.external_id,
         "date": c.payout.date, "status": c.payout.status, "currency": c.payout.currency,
         "net": c.payout.net, "transactions": len(c.payout.balance_transactions),
         "transactions_net": c.transactions_net, "difference": c.difference,
         "landed_on": c.landed_on, "problem": c.problem or ""}
        for c in checks if c.problem or not problems_only
    ]
    currency = ledger.entity.functional_currency
    return Report(
        title="Processor payouts",
        subtitle=f"{len(checks)} payouts, {sum(1 for c in checks if c.problem)} to look at",
        columns=(
            Column("connection", "Connection"), Column("payout", "Payout"),
            Column("date", "Date", ColumnKind.DATE), Column("status", "Status"),
            Column("net", "Net", ColumnKind.MONEY),
            Column("transactions", "Txns", ColumnKind.INT),
            Column("transactions_net", "Txns net", ColumnKind.MONEY),
            Column("difference", "Difference", ColumnKind.MONEY, blank_zero=True),
            Column("landed_on", "Landed", ColumnKind.DATE), Column("problem", "Problem"),
            Column("currency", "Currency", table=False),
        ),
        rows=rows,
        currency=currency,
        meta={"clearing": Money(balances["clearing"], currency).text(),
              "transit": Money(balances["transit"], currency).text()},
        rows_key="payouts",
    )
