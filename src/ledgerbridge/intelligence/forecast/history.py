"""Read what a forecast needs from the books: bank balances and flows, open items, deals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, case, func, select

from ledgerbridge.documents import Deal as DealDocument
from ledgerbridge.documents import parse_document
from ledgerbridge.intelligence.forecast.components import stage_probability
from ledgerbridge.intelligence.forecast.model import BankFlow, Deal, History, PartyLine
from ledgerbridge.ledger import Ledger
from ledgerbridge.mapping._posting import party_of
from ledgerbridge.money import convert
from ledgerbridge.store.tables import (
    accounts,
    connections,
    documents,
    journal_entries,
    journal_lines,
)

__all__ = ["FLOW_DAYS", "load_history", "open_deals"]

FLOW_DAYS = 400  # days of bank movements read: enough for recurring flows and residuals
_jl = journal_lines


def _bank_codes(conn: Connection, entity_id: int) -> dict[int, str]:
    return {r.id: r.code for r in conn.execute(select(accounts.c.id, accounts.c.code).where(
        accounts.c.entity_id == entity_id, accounts.c.subtype == "bank"))}


def _flows(conn: Connection, entity_id: int, banks: dict[int, str], as_of: dt.date
           ) -> tuple[BankFlow, ...]:
    open_item = accounts.c.subtype.in_(("receivable", "payable"))
    per_entry = (select(_jl.c.entry_id, func.max(_jl.c.party).label("party"),
                        func.max(case((open_item, 1), else_=0)).label("settles"))
                 .join(accounts, accounts.c.id == _jl.c.account_id)
                 .where(_jl.c.entity_id == entity_id,
                        _jl.c.date > as_of - dt.timedelta(days=FLOW_DAYS), _jl.c.date <= as_of)
                 .group_by(_jl.c.entry_id).subquery())
    rows = conn.execute(
        select(_jl.c.date, _jl.c.account_id, _jl.c.amount, per_entry.c.party,
               per_entry.c.settles, journal_entries.c.memo)
        .join(per_entry, per_entry.c.entry_id == _jl.c.entry_id)
        .join(journal_entries, journal_entries.c.id == _jl.c.entry_id)
        .where(_jl.c.entity_id == entity_id, _jl.c.account_id.in_(list(banks)),
               _jl.c.date > as_of - dt.timedelta(days=FLOW_DAYS), _jl.c.date <= as_of)
        .order_by(_jl.c.date, _jl.c.id))
    return tuple(BankFlow(r.date, banks[r.account_id], r.amount, r.party or r.memo or "",
                          bool(r.settles)) for r in rows)


def _party_lines(conn: Connection, entity_id: int, banks: dict[int, str], kind: str,
                 as_of: dt.date) -> tuple[PartyLine, ...]:
    bank_of_entry = (select(_jl.c.entry_id, func.max(_jl.c.account_id).label("bank"))
                     .where(_jl.c.entity_id == entity_id, _jl.c.account_id.in_(list(banks)))
                     .group_by(_jl.c.entry_id).subquery())
    sign = 1 if kind == "receivable" else -1
    rows = conn.execute(
        select(_jl.c.party, _jl.c.date, _jl.c.due_date, _jl.c.amount, bank_of_entry.c.bank)
        .join(accounts, accounts.c.id == _jl.c.account_id)
        .outerjoin(bank_of_entry, bank_of_entry.c.entry_id == _jl.c.entry_id)
        .where(_jl.c.entity_id == entity_id, accounts.c.subtype == kind, _jl.c.date <= as_of)
        .order_by(_jl.c.date, _jl.c.id))
    return tuple(PartyLine(r.party or "", r.date, r.due_date or r.date, sign * r.amount,
                           banks.get(r.bank)) for r in rows)


def open_deals(conn: Connection, entity_id: int, currency: str) -> tuple[Deal, ...]:
    """The entity's open CRM deals with an amount and a close date, in ``currency``.

    A deal in another currency counts when it carries an exchange rate; others are
    left out, as are deals without an amount or a close date.
    """
    rows = conn.execute(select(documents.c.data).where(
        documents.c.connection_id.in_(select(connections.c.id).where(
            connections.c.entity_id == entity_id)),
        documents.c.type == "deal", documents.c.status == "current"))
    deals = []
    for row in rows:
        deal = parse_document(row.data)
        if not isinstance(deal, DealDocument) or deal.status != "open" or deal.amount is None \
                or deal.close_date is None:
            continue
        amount = deal.amount.minor
        if deal.currency != currency:
            if deal.exchange_rate is None:
                continue
            amount = convert(amount, deal.currency, deal.exchange_rate, currency)
        party = party_of(deal.company) or (party_of(deal.contacts[0]) if deal.contacts
                                           else deal.name)
        terms = deal.payment_terms.net_days if deal.payment_terms else None
        deals.append(Deal(deal.name, party, amount, stage_probability(deal.stage),
                          deal.close_date, terms))
    return tuple(deals)


def load_history(ledger: Ledger, as_of: dt.date) -> History:
    """The books of ``ledger`` up to ``as_of`` with today's open deals."""
    entity_id, currency = ledger.entity.id, ledger.entity.functional_currency
    with ledger.engine.connect() as conn:
        banks = _bank_codes(conn, entity_id)
        sums = dict(conn.execute(
            select(_jl.c.account_id, func.sum(_jl.c.amount))
            .where(_jl.c.entity_id == entity_id, _jl.c.account_id.in_(list(banks)),
                   _jl.c.date <= as_of).group_by(_jl.c.account_id)).all())
        return History(
            as_of, currency, {code: int(sums.get(i) or 0) for i, code in banks.items()},
            _flows(conn, entity_id, banks, as_of),
            _party_lines(conn, entity_id, banks, "receivable", as_of),
            _party_lines(conn, entity_id, banks, "payable", as_of),
            open_deals(conn, entity_id, currency))
