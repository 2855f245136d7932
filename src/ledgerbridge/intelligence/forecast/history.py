"""Read what a forecast needs from the books: bank balances and flows, open items, deals.

Each bank account is read in its own currency (the one most of its journal lines
are in), with the latest rate the ledger knows of each other currency.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Connection, case, func, select

from ledgerbridge.documents import Deal as DealDocument
from ledgerbridge.documents import parse_document
from ledgerbridge.intelligence.forecast.components import stage_probability
from ledgerbridge.intelligence.forecast.model import BankFlow, Deal, History, PartyLine, Rate
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


def _bank_currencies(conn: Connection, entity_id: int, banks: dict[int, str], functional: str,
                     as_of: dt.date) -> dict[int, str]:
    """Each bank account's currency: the one most of its journal lines are in.

    An account without lines is in the functional currency; on a tie the
    functional currency wins.
    """
    rows = conn.execute(
        select(_jl.c.account_id, _jl.c.currency, func.count())
        .where(_jl.c.entity_id == entity_id, _jl.c.account_id.in_(list(banks)),
               _jl.c.date <= as_of)
        .group_by(_jl.c.account_id, _jl.c.currency))
    counts: dict[int, list[tuple[int, bool, str]]] = {}
    for account_id, currency, n in rows:
        counts.setdefault(account_id, []).append((n, currency == functional, currency))
    return {a: max(counts[a])[2] if a in counts else functional for a in banks}


def _rates(conn: Connection, entity_id: int, wanted: set[str], as_of: dt.date
           ) -> dict[str, Rate]:
    """The rate of the latest journal line in each wanted currency up to ``as_of``."""
    out = {}
    for currency in sorted(wanted):
        row = conn.execute(
            select(_jl.c.rate, _jl.c.date)
            .where(_jl.c.entity_id == entity_id, _jl.c.currency == currency,
                   _jl.c.rate.is_not(None), _jl.c.date <= as_of)
            .order_by(_jl.c.date.desc(), _jl.c.id.desc()).limit(1)).first()
        if row is not None:
            out[currency] = Rate(currency, row.rate, row.date)
    return out


def _own(functional: str, currency: str) -> ColumnElement:
    """A bank line's amount in its account's currency (the other currencies' lines: 0).

    In the functional currency, every line's booked amount; in another, the
    original amounts of the lines in it (a line in another currency on such an
    account, such as a revaluation, moves no money).
    """
    if currency == functional:
        return _jl.c.amount
    return case((_jl.c.currency == currency, _jl.c.original_amount), else_=0)


def _flows(conn: Connection, entity_id: int, banks: dict[int, str], as_of: dt.date,
           functional: str, currencies: dict[int, str]) -> tuple[BankFlow, ...]:
    open_item = accounts.c.subtype.in_(("receivable", "payable"))
    per_entry = (select(_jl.c.entry_id, func.max(_jl.c.party).label("party"),
                        func.max(case((open_item, 1), else_=0)).label("settles"))
                 .join(accounts, accounts.c.id == _jl.c.account_id)
                 .where(_jl.c.entity_id == entity_id,
                        _jl.c.date > as_of - dt.timedelta(days=FLOW_DAYS), _jl.c.date <= as_of)
                 .group_by(_jl.c.entry_id).subquery())
    rows = conn.execute(
        select(_jl.c.date, _jl.c.account_id, _jl.c.amount, _jl.c.currency,
               _jl.c.original_amount, per_entry.c.party, per_entry.c.settles,
               journal_entries.c.memo)
        .join(per_entry, per_entry.c.entry_id == _jl.c.entry_id)
        .join(journal_entries, journal_entries.c.id == _jl.c.entry_id)
        .where(_jl.c.entity_id == entity_id, _jl.c.account_id.in_(list(banks)),
               _jl.c.date > as_of - dt.timedelta(days=FLOW_DAYS), _jl.c.date <= as_of)
        .order_by(_jl.c.date, _jl.c.id))
    flows = []
    for r in rows:
        currency = currencies[r.account_id]
        amount = (r.amount if currency == functional
                  else r.original_amount if r.currency == currency else None)
        if amount is not None:
            flows.append(BankFlow(r.date, banks[r.account_id], amount, r.party or r.memo or "",
                                  bool(r.settles)))
    return tuple(flows)


def _party_lines(conn: Connection, entity_id: int, banks: dict[int, str], kind: str,
                 as_of: dt.date, functional: str) -> tuple[PartyLine, ...]:
    bank_of_entry = (select(_jl.c.entry_id, func.max(_jl.c.account_id).label("bank"))
                     .where(_jl.c.entity_id == entity_id, _jl.c.account_id.in_(list(banks)))
                     .group_by(_jl.c.entry_id).subquery())
    sign = 1 if kind == "receivable" else -1
    rows = conn.execute(
        select(_jl.c.party, _jl.c.date, _jl.c.due_date, _jl.c.amount, _jl.c.currency,
               _jl.c.original_amount, bank_of_entry.c.bank)
        .join(accounts, accounts.c.id == _jl.c.account_id)
        .outerjoin(bank_of_entry, bank_of_entry.c.entry_id == _jl.c.entry_id)
        .where(_jl.c.entity_id == entity_id, accounts.c.subtype == kind, _jl.c.date <= as_of)
        .order_by(_jl.c.date, _jl.c.id))
    return tuple(PartyLine(r.party or "", r.date, r.due_date or r.date, sign * r.amount,
                           banks.get(r.bank), *((None, None) if r.currency == functional else
                                                (r.currency, sign * r.original_amount)))
                 for r in rows)


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
        currencies = _bank_currencies(conn, entity_id, banks, currency, as_of)
        balances = {}
        for own in set(currencies.values()):
            ids = [i for i, c in currencies.items() if c == own]
            sums = dict(conn.execute(
                select(_jl.c.account_id, func.sum(_own(currency, own)))
                .where(_jl.c.entity_id == entity_id, _jl.c.account_id.in_(ids),
                       _jl.c.date <= as_of).group_by(_jl.c.account_id)).all())
            balances.update({banks[i]: int(sums.get(i) or 0) for i in ids})
        receivables = _party_lines(conn, entity_id, banks, "receivable", as_of, currency)
        payables = _party_lines(conn, entity_id, banks, "payable", as_of, currency)
        others = {*currencies.values(), *(p.currency for p in (*receivables, *payables))}
        return History(
            as_of, currency, {code: balances[code] for code in banks.values()},
            _flows(conn, entity_id, banks, as_of, currency, currencies), receivables, payables,
            open_deals(conn, entity_id, currency),
            {banks[i]: c for i, c in currencies.items() if c != currency},
            _rates(conn, entity_id, {c for c in others if c and c != currency}, as_of))
