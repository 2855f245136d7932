"""Financial reports of one entity, aggregated in the database.

Every figure is a sum of ``journal_lines.amount`` (integer minor units of the
entity's functional currency, debit positive) computed by the database: whole
months come from the period balances (``ledger/balances.py``), the days of a
partial first or last month from the lines. Python only arranges the per-account
sums into the account hierarchy. The general ledger streams its lines from a
server-side cursor, so memory stays bounded whatever the size of the journal.

Sign conventions: the trial balance and the general ledger's debit and credit
columns are sides of the books; the balance sheet, the income statement and the
general ledger's running balance show each account in its normal sign (assets
and expenses positive when in debit, liabilities, equity and income positive
when in credit).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import BigInteger, Connection, Engine, case, cast, func, select
from sqlalchemy.sql import ColumnElement

from ledgerbridge.ledger.balances import net_by_account
from ledgerbridge.ledger.book import Ledger
from ledgerbridge.ledger.model import AccountType, LedgerError
from ledgerbridge.money import Money
from ledgerbridge.report import Column, ColumnKind, Report, Row
from ledgerbridge.store.tables import accounts, journal_entries, journal_lines

__all__ = [
    "AgingKind",
    "aging",
    "balance_sheet",
    "cash_flow",
    "general_ledger",
    "income_statement",
    "trial_balance",
]

AgingKind = Literal["receivable", "payable"]

_STREAM_CHUNK = 2000
_COGS = "cogs"
_CASH = frozenset({"bank", "cash"})
_INVESTING = frozenset({"fixed", "intangible", "investment"})
_FINANCING = frozenset({"loan", "capital", "drawings", "dividends"})
_RETAINED = "retained"
_MONEY = ColumnKind.MONEY
_jl = journal_lines


@dataclass(frozen=True, slots=True)
class _Account:
    id: int
    code: str
    name: str
    type: AccountType
    subtype: str | None
    parent_id: int | None


def _sum(expr: ColumnElement[Any]) -> ColumnElement[int]:
    """SUM as a BIGINT, zero when empty (PostgreSQL sums bigints as numeric)."""
    return cast(func.coalesce(func.sum(expr), 0), BigInteger)


def _check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and start > end:
        raise LedgerError(f"the start date {start} is after the end date {end}")


def _period(start: dt.date | None, end: dt.date | None) -> str:
    if start and end:
        return f"{start} to {end}"
    if end:
        return f"up to {end}"
    if start:
        return f"from {start}"
    return "all dates"


def _subtitle(ledger: Ledger, *parts: str) -> str:
    entity = ledger.entity
    return " · ".join((f"{entity.name} ({entity.code})", entity.functional_currency, *parts))


def _meta(ledger: Ledger, **extra: Any) -> dict[str, Any]:
    return {"entity": ledger.entity.code, "entity_name": ledger.entity.name, **extra}


def _lines_where(ledger: Ledger, start: dt.date | None, end: dt.date | None) -> list[Any]:
    where = [_jl.c.entity_id == ledger.entity.id]
    if start is not None:
        where.append(_jl.c.date >= start)
    if end is not None:
        where.append(_jl.c.date <= end)
    return where


def _chart(conn: Connection, ledger: Ledger) -> dict[int, _Account]:
    query = select(
        accounts.c.id, accounts.c.code, accounts.c.name, accounts.c.type,
        accounts.c.subtype, accounts.c.parent_id,
    ).where(accounts.c.entity_id == ledger.entity.id)
    return {
        r.id: _Account(r.id, r.code, r.name, AccountType(r.type), r.subtype, r.parent_id)
        for r in conn.execute(query)
    }


def _balances(
    conn: Connection, ledger: Ledger, start: dt.date | None, end: dt.date | None,
    account_ids: Collection[int],
) -> dict[int, int]:
    """Net debit-positive sum per account id with lines in the range (period balances)."""
    return net_by_account(conn, ledger.entity.id, start, end, account_ids)


# -- trial balance ----------------------------------------------------------------

_TB_COLUMNS = (
    Column("account", "Account"),
    Column("name", "Name"),
    Column("debit", "Debit", _MONEY, blank_zero=True),
    Column("credit", "Credit", _MONEY, blank_zero=True),
)


def trial_balance(
    ledger: Ledger, *, end: dt.date | None = None, start: dt.date | None = None
) -> Report:
    """Every account with lines in the range, its net balance in the debit or credit column.

    ``start`` and ``end`` are inclusive; without ``start`` the balances are
    cumulative from the first entry. Total debits equal total credits.
    """
    _check_range(start, end)
    rows: list[Row] = []
    debit = credit = 0
    with ledger.engine.connect() as conn:
        chart = _chart(conn, ledger)
        balances = _balances(conn, ledger, start, end, chart)
    for account in sorted((chart[i] for i in balances), key=lambda a: a.code):
        net = balances[account.id]
        row = {"account": account.code, "name": account.name,
               "debit": max(net, 0), "credit": max(-net, 0)}
        debit += row["debit"]
        credit += row["credit"]
        rows.append(row)
    return Report(
        title="Trial balance",
        columns=_TB_COLUMNS,
        rows=tuple(rows),
        currency=ledger.entity.functional_currency,
        subtitle=_subtitle(ledger, _period(start, end)),
        meta=_meta(ledger, start=start, end=end),
        totals={"debit": debit, "credit": credit},
        rows_key="accounts",
    )


# -- hierarchy: balance sheet and income statement ------------------------------

_STATEMENT_COLUMNS = (
    Column("section", "Section", table=False),
    Column("kind", "Kind", table=False),
    Column("depth", "Depth", ColumnKind.INT, table=False),
    Column("code", "Account"),
    Column("name", "Name", indent_key="depth"),
    Column("amount", "Amount", _MONEY),
)


def _row(
    section: str | None, kind: str, depth: int, code: str | None, name: str,
    amount: int | None,
) -> Row:
    return {
        "section": section, "kind": kind, "depth": depth,
        "code": code, "name": name, "amount": amount,
    }


def _tree(
    section: str, members: Iterable[_Account], balances: dict[int, int], sign: int
) -> tuple[list[Row], int]:
    """Rows of ``members`` grouped under their parents, and the section total.

    A parent with shown children gets a header row, its children and a subtotal
    row; its own postings, if any, appear as a line among its children. Accounts
    whose parent is outside ``members`` start a tree of their own. Accounts (and
    whole groups) that sum to nothing are left out.
    """
    members = sorted(members, key=lambda a: a.code)
    ids = {a.id for a in members}
    children: dict[int | None, list[_Account]] = defaultdict(list)
    for account in members:
        children[account.parent_id if account.parent_id in ids else None].append(account)

    def visit(account: _Account, depth: int) -> tuple[list[Row], int]:
        own = sign * balances.get(account.id, 0)
        kids = children.get(account.id, [])
        if not kids:
            line = _row(section, "account", depth, account.code, account.name, own)
            return ([line] if own else []), own
        inner: list[Row] = []
        subtotal = own
        if own:
            inner.append(_row(section, "account", depth + 1, account.code, account.name, own))
        for kid in kids:
            kid_rows, kid_total = visit(kid, depth + 1)
            inner.extend(kid_rows)
            subtotal += kid_total
        if not inner:
            return [], 0
        return [
            _row(section, "header", depth, account.code, account.name, None),
            *inner,
            _row(section, "subtotal", depth, account.code, f"Total {account.name}", subtotal),
        ], subtotal

    rows: list[Row] = []
    total = 0
    for root in children.get(None, []):
        root_rows, root_total = visit(root, 1)
        rows.extend(root_rows)
        total += root_total
    return rows, total


def _section(
    section: str, title: str, members: Iterable[_Account], balances: dict[int, int],
    sign: int, extra: Iterable[Row] = (),
) -> tuple[list[Row], int]:
    rows, total = _tree(section, members, balances, sign)
    for row in extra:
        rows.append(row)
        total += row["amount"]
    return [
        _row(section, "section", 0, None, title, None),
        *rows,
        _row(section, "total", 0, None, f"Total {title.lower()}", total),
    ], total


def _sign(account_type: AccountType) -> int:
    return 1 if account_type.debit_normal else -1


def balance_sheet(ledger: Ledger, *, end: dt.date) -> Report:
    """Assets, liabilities and equity at ``end``, grouped by the account hierarchy.

    Income less expenses up to ``end`` that has not been closed to retained
    earnings appears in equity as "Current period earnings", so total assets
    equal total liabilities and equity exactly. Each row has a ``kind``:
    section, header, account, subtotal, earnings or total; ``meta`` carries the
    section totals.
    """
    currency = ledger.entity.functional_currency
    with ledger.engine.connect() as conn:
        chart = _chart(conn, ledger)
        balances = _balances(conn, ledger, None, end, chart)
    by_type: dict[AccountType, list[_Account]] = defaultdict(list)
    for account in chart.values():
        by_type[account.type].append(account)
    earnings = -sum(
        balances.get(a.id, 0)
        for t in (AccountType.INCOME, AccountType.EXPENSE)
        for a in by_type[t]
    )
    assets_rows, assets = _section(
        "assets", "Assets", by_type[AccountType.ASSET], balances, 1
    )
    liab_rows, liabilities = _section(
        "liabilities", "Liabilities", by_type[AccountType.LIABILITY], balances, -1
    )
    earnings_row = _row("equity", "earnings", 1, None, "Current period earnings", earnings)
    equity_rows, equity = _section(
        "equity", "Equity", by_type[AccountType.EQUITY], balances, -1, [earnings_row]
    )
    closing = _row(
        None, "total", 0, None, "Total liabilities and equity", liabilities + equity
    )
    return Report(
        title="Balance sheet",
        columns=_STATEMENT_COLUMNS,
        rows=(*assets_rows, *liab_rows, *equity_rows, closing),
        currency=currency,
        subtitle=_subtitle(ledger, f"as of {end}"),
        meta=_meta(
            ledger,
            end=end,
            total_assets=Money(assets, currency),
            total_liabilities=Money(liabilities, currency),
            total_equity=Money(equity, currency),
            current_earnings=Money(earnings, currency),
        ),
        rows_key="lines",
    )


def _is_cogs(account: _Account, chart: dict[int, _Account]) -> bool:
    """Tell whether an account is cost of sales: it or an ancestor has subtype ``cogs``."""
    seen: set[int] = set()
    current: _Account | None = account
    while current is not None and current.id not in seen:
        if current.subtype == _COGS:
            return True
        seen.add(current.id)
        current = chart.get(current.parent_id) if current.parent_id is not None else None
    return False


def income_statement(ledger: Ledger, *, start: dt.date, end: dt.date) -> Report:
    """Income and expenses from ``start`` to ``end`` (inclusive), and net income.

    Expense accounts of subtype ``cogs`` (and their children) form a cost of
    sales section followed by gross profit, when the chart has any.
    """
    _check_range(start, end)
    currency = ledger.entity.functional_currency
    with ledger.engine.connect() as conn:
        chart = _chart(conn, ledger)
        balances = _balances(conn, ledger, start, end, chart)
    income_accounts = [a for a in chart.values() if a.type is AccountType.INCOME]
    expense_accounts = [a for a in chart.values() if a.type is AccountType.EXPENSE]
    cogs_accounts = [a for a in expense_accounts if _is_cogs(a, chart)]
    cogs_ids = {a.id for a in cogs_accounts}
    other_expenses = [a for a in expense_accounts if a.id not in cogs_ids]

    rows, income = _section("income", "Income", income_accounts, balances, -1)
    meta: dict[str, Any] = {"total_income": Money(income, currency)}
    cogs = 0
    if cogs_accounts:
        cogs_rows, cogs = _section(
            "cost_of_sales", "Cost of sales", cogs_accounts, balances, 1
        )
        rows += cogs_rows
        rows.append(_row(None, "total", 0, None, "Gross profit", income - cogs))
        meta["total_cost_of_sales"] = Money(cogs, currency)
        meta["gross_profit"] = Money(income - cogs, currency)
    expense_rows, expenses = _section("expenses", "Expenses", other_expenses, balances, 1)
    rows += expense_rows
    net = income - cogs - expenses
    rows.append(_row(None, "total", 0, None, "Net income", net))
    meta["total_expenses"] = Money(expenses, currency)
    meta["net_income"] = Money(net, currency)
    return Report(
        title="Income statement",
        columns=_STATEMENT_COLUMNS,
        rows=tuple(rows),
        currency=currency,
        subtitle=_subtitle(ledger, _period(start, end)),
        meta=_meta(ledger, start=start, end=end, **meta),
        rows_key="lines",
    )


# -- cash flow ------------------------------------------------------------------------


def _activity(account: _Account, chart: dict[int, _Account]) -> str:
    """Where a balance-sheet account's changes go: cash, earnings, or an activity.

    The subtype of the account or its nearest ancestor that has one decides:
    ``bank``/``cash`` are cash; ``retained`` belongs with net income (closing
    entries move earnings there); fixed assets and investments are investing;
    loans and owners' capital, drawings and dividends are financing; everything
    else (receivables, payables, tax, clearing, depreciation ...) is operating, but
    equity without a subtype, which is financing.
    """
    current: _Account | None = account
    seen: set[int] = set()
    while current is not None and current.id not in seen:
        subtype = current.subtype
        if subtype in _CASH:
            return "cash"
        if subtype == _RETAINED:
            return "earnings"
        if subtype in _INVESTING:
            return "investing"
        if subtype in _FINANCING:
            return "financing"
        if subtype is not None:
            return "operating"
        seen.add(current.id)
        current = chart.get(current.parent_id) if current.parent_id is not None else None
    return "financing" if account.type is AccountType.EQUITY else "operating"


def cash_flow(ledger: Ledger, *, start: dt.date, end: dt.date) -> Report:
    """Statement of cash flows from ``start`` to ``end`` by the indirect method.

    Net income (income less expenses, plus what closing entries moved into retained
    earnings) is adjusted by the change of every other balance-sheet account,
    each under operating, investing or financing (see ``_activity``). The three
    totals add up to the change in bank and cash accounts exactly: every entry
    balances, so nothing is left over for a "difference" line.
    """
    _check_range(start, end)
    currency = ledger.entity.functional_currency
    with ledger.engine.connect() as conn:
        chart = _chart(conn, ledger)
        changes = _balances(conn, ledger, start, end, chart)
        before = {} if start == dt.date.min else _balances(
            conn, ledger, None, start - dt.timedelta(days=1), chart)
    kinds = {a.id: ("pnl" if a.type in (AccountType.INCOME, AccountType.EXPENSE)
                    else _activity(a, chart)) for a in chart.values()}
    net_income = -sum(changes.get(i, 0) for i, k in kinds.items() if k in ("pnl", "earnings"))
    opening = sum(before.get(i, 0) for i, k in kinds.items() if k == "cash")
    net_cash = sum(changes.get(i, 0) for i, k in kinds.items() if k == "cash")
    income_row = _row("operating", "account", 1, None, "Net income", net_income)
    rows: list[Row] = []
    totals: dict[str, int] = {}
    for section, title, extra in (("operating", "Operating activities", [income_row]),
                                  ("investing", "Investing activities", []),
                                  ("financing", "Financing activities", [])):
        members = [a for a in chart.values() if kinds[a.id] == section]
        # an account's change is cash the other way: more receivables, less cash
        section_rows, totals[section] = _section(section, title, members, changes, -1, extra)
        rows += section_rows
    rows += [
        _row(None, "total", 0, None, "Net change in cash", net_cash),
        _row(None, "total", 0, None, "Cash at beginning of period", opening),
        _row(None, "total", 0, None, "Cash at end of period", opening + net_cash),
    ]
    if sum(totals.values()) != net_cash:  # impossible while every entry balances
        raise LedgerError(f"cash flow does not reconcile: activities {sum(totals.values())} "
                          f"vs change in cash {net_cash}")
    return Report(
        title="Statement of cash flows",
        columns=_STATEMENT_COLUMNS,
        rows=tuple(rows),
        currency=currency,
        subtitle=_subtitle(ledger, _period(start, end)),
        meta=_meta(ledger, start=start, end=end, net_income=Money(net_income, currency),
                   **{f"{k}_cash_flow": Money(v, currency) for k, v in totals.items()},
                   net_change_in_cash=Money(net_cash, currency),
                   opening_cash=Money(opening, currency),
                   closing_cash=Money(opening + net_cash, currency)),
        rows_key="lines",
    )


# -- general ledger -----------------------------------------------------------------

_GL_COLUMNS = (
    Column("date", "Date", ColumnKind.DATE),
    Column("entry", "Entry", ColumnKind.INT),
    Column("memo", "Memo"),
    Column("party", "Party"),
    Column("debit", "Debit", _MONEY, blank_zero=True),
    Column("credit", "Credit", _MONEY, blank_zero=True),
    Column("balance", "Balance", _MONEY),
)


def general_ledger(
    ledger: Ledger,
    account: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Report:
    """Every line of one account in date and entry order, with a running balance.

    The first row is the opening balance (lines before ``start``); the totals row
    holds the range's debits and credits and the closing balance. Balances are in
    the account's normal sign. The rows are a one-shot stream read from a
    server-side cursor as they are rendered.
    """
    _check_range(start, end)
    currency = ledger.entity.functional_currency
    with ledger.engine.connect() as conn:
        found = conn.execute(
            select(accounts.c.id, accounts.c.name, accounts.c.type).where(
                accounts.c.entity_id == ledger.entity.id, accounts.c.code == account
            )
        ).first()
        if found is None:
            raise LedgerError(f"no account {account!r} in entity {ledger.entity.code!r}")
        # Lines posted while the report streams are left out of rows and totals alike.
        last_id = conn.execute(select(func.max(_jl.c.id))).scalar() or 0
        mine = (_jl.c.account_id == found.id, _jl.c.id <= last_id)
        opening = 0
        if start is not None and start > dt.date.min:
            before = _balances(conn, ledger, None, start - dt.timedelta(days=1), [found.id])
            opening = before.get(found.id, 0)
        debits, credits = conn.execute(
            select(
                _sum(case((_jl.c.amount > 0, _jl.c.amount), else_=0)),
                _sum(case((_jl.c.amount < 0, -_jl.c.amount), else_=0)),
            ).where(*mine, *_lines_where(ledger, start, end))
        ).one()
    sign = _sign(AccountType(found.type))
    closing = opening + debits - credits
    lines = (
        select(
            _jl.c.date,
            _jl.c.entry_id,
            func.coalesce(_jl.c.memo, journal_entries.c.memo).label("memo"),
            _jl.c.party,
            _jl.c.amount,
        )
        .join(journal_entries, journal_entries.c.id == _jl.c.entry_id)
        .where(*mine, *_lines_where(ledger, start, end))
        .order_by(_jl.c.date, _jl.c.entry_id, _jl.c.line_no)
    )
    return Report(
        title=f"General ledger: {account} {found.name}",
        columns=_GL_COLUMNS,
        rows=_gl_rows(ledger.engine, lines, start, opening, sign),
        currency=currency,
        subtitle=_subtitle(ledger, _period(start, end)),
        meta=_meta(
            ledger,
            account=account,
            account_name=found.name,
            normal_balance="debit" if sign > 0 else "credit",
            start=start,
            end=end,
            opening_balance=Money(sign * opening, currency),
            closing_balance=Money(sign * closing, currency),
        ),
        totals={"debit": debits, "credit": credits, "balance": sign * closing},
        totals_label="Closing balance",
        rows_key="lines",
    )


def _gl_rows(
    engine: Engine, query: Any, start: dt.date | None, opening: int, sign: int
) -> Iterator[Row]:
    yield {
        "date": start, "entry": None, "memo": "Opening balance", "party": None,
        "debit": None, "credit": None, "balance": sign * opening,
    }
    running = opening
    with engine.connect() as conn:
        streaming = conn.execution_options(stream_results=True, yield_per=_STREAM_CHUNK)
        for day, entry_id, memo, party, amount in streaming.execute(query):
            running += amount
            yield {
                "date": day,
                "entry": entry_id,
                "memo": memo or None,
                "party": party,
                "debit": max(amount, 0),
                "credit": max(-amount, 0),
                "balance": sign * running,
            }


# -- aging --------------------------------------------------------------------------

_BUCKETS = (
    ("current", "Current"),
    ("days_1_30", "1-30"),
    ("days_31_60", "31-60"),
    ("days_61_90", "61-90"),
    ("over_90", "Over 90"),
)
_AGING_COLUMNS = (
    Column("party", "Party"),
    *(Column(key, name, _MONEY, blank_zero=True) for key, name in _BUCKETS),
    Column("unapplied", "Unapplied", _MONEY, blank_zero=True),
    Column("total", "Total", _MONEY),
)


def aging(ledger: Ledger, kind: AgingKind = "receivable", *, as_of: dt.date) -> Report:
    """Open receivables or payables per party at ``as_of``, by days past due.

    Items are debits to ``receivable`` accounts (credits to ``payable`` ones); a
    party's payments and credits settle its items oldest first, and what stays
    open is aged from its due date (the line date when it has none) into current,
    1-30, 31-60, 61-90 and over 90 days. A party that paid more than it owes
    shows the surplus as a negative ``unapplied`` amount; a party whose items are
    all settled is left out. ``total`` is the party's balance.
    """
    if kind not in ("receivable", "payable"):
        raise LedgerError(f"aging kind {kind!r} is not 'receivable' or 'payable'")
    currency = ledger.entity.functional_currency
    signed = _jl.c.amount if kind == "receivable" else -_jl.c.amount
    ledger_accounts = select(accounts.c.id).where(
        accounts.c.entity_id == ledger.entity.id, accounts.c.subtype == kind
    )
    base = (
        select(
            func.coalesce(_jl.c.party, "").label("party"),
            _jl.c.id,
            _jl.c.date,
            func.coalesce(_jl.c.due_date, _jl.c.date).label("due"),
            signed.label("x"),
        )
        .where(*_lines_where(ledger, None, as_of), _jl.c.account_id.in_(ledger_accounts))
        .cte("aging_lines")
    )
    items = (
        select(
            base.c.party,
            base.c.due,
            base.c.x.label("amount"),
            func.sum(base.c.x)
            .over(partition_by=base.c.party, order_by=(base.c.date, base.c.id), rows=(None, 0))
            .label("cumulative"),
        )
        .where(base.c.x > 0)
        .cte("aging_items")
    )
    settled = (
        select(base.c.party, func.sum(-base.c.x).label("paid"))
        .where(base.c.x < 0)
        .group_by(base.c.party)
        .cte("aging_settled")
    )
    # FIFO: settlements use up the oldest items first, so an item is open for
    # whatever of the running item total the party's settlements have not reached.
    remaining = items.c.cumulative - func.coalesce(settled.c.paid, 0)
    open_amount = case(
        (remaining <= 0, 0), (remaining >= items.c.amount, items.c.amount), else_=remaining
    )
    open_items = (
        select(items.c.party, items.c.due, open_amount.label("open"))
        .outerjoin(settled, settled.c.party == items.c.party)
        .cte("aging_open")
    )
    due = open_items.c.due
    edges = [as_of - dt.timedelta(days=n) for n in (30, 60, 90)]
    conditions = (
        due >= as_of,
        (due < as_of) & (due >= edges[0]),
        (due < edges[0]) & (due >= edges[1]),
        (due < edges[1]) & (due >= edges[2]),
        due < edges[2],
    )
    buckets = (
        select(
            open_items.c.party,
            *(
                _sum(case((cond, open_items.c.open), else_=0)).label(key)
                for cond, (key, _) in zip(conditions, _BUCKETS, strict=True)
            ),
        )
        .group_by(open_items.c.party)
        .cte("aging_buckets")
    )
    net = (
        select(base.c.party, _sum(base.c.x).label("balance"))
        .group_by(base.c.party)
        .cte("aging_net")
    )
    query = (
        select(
            net.c.party,
            net.c.balance,
            *(func.coalesce(buckets.c[key], 0).label(key) for key, _ in _BUCKETS),
        )
        .outerjoin(buckets, buckets.c.party == net.c.party)
        .where(net.c.balance != 0)
        .order_by(net.c.party)
    )
    keys = [key for key, _ in _BUCKETS] + ["unapplied", "total"]
    totals = dict.fromkeys(keys, 0)
    rows: list[Row] = []
    with ledger.engine.connect() as conn:
        for r in conn.execute(query):
            row: dict[str, Any] = {"party": r.party or None}
            for key, _ in _BUCKETS:
                row[key] = int(r._mapping[key])
            row["unapplied"] = min(r.balance, 0)
            row["total"] = r.balance
            for key in keys:
                totals[key] += row[key]
            rows.append(row)
    label = "Accounts receivable" if kind == "receivable" else "Accounts payable"
    return Report(
        title=f"{label} aging",
        columns=_AGING_COLUMNS,
        rows=tuple(rows),
        currency=currency,
        subtitle=_subtitle(ledger, f"as of {as_of}"),
        meta=_meta(ledger, kind=kind, as_of=as_of),
        totals=totals,
        rows_key="parties",
    )
