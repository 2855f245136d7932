"""Plaid transactions as bank lines: exact amounts, our sign, the mapped ledger account.

Plaid's ``amount`` is a JSON number, positive when money leaves the account; it is
read as a ``Decimal`` (never a float), negated (our amounts are positive when money
comes in) and refused if it has more decimals than its currency allows. The
currency is ``iso_currency_code``, else ``unofficial_currency_code``; a currency
without an ISO 4217 minor unit is an error naming the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ledgerbridge.connectors.bankfeeds.bankbook import FeedBatch, FeedLine, FeedRemoval
from ledgerbridge.documents import BankTransaction, Counterparty, Source
from ledgerbridge.money import Money, MoneyError, parse_minor
from ledgerbridge.sync.errors import FatalError, MalformedPayload

__all__ = ["category_code", "page_batch", "transaction_document"]

STREAM = "transactions"
_KINDS = {"BANK_FEES": "fee", "TRANSFER_IN": "transfer", "TRANSFER_OUT": "transfer"}


def _fail(reason: str, connection: str, record: str | None = None) -> FatalError:
    return FatalError(reason, connection=connection, stream=STREAM, record=record)


def _ledger_account(account_id: Any, accounts: Mapping[str, str | None], connection: str,
                    record: str) -> str | None:
    if not isinstance(account_id, str) or account_id not in accounts:
        mapped = ", ".join(sorted(accounts)) or "none"
        raise _fail(f"Plaid account {account_id!r} is not mapped to a ledger account "
                    f"(setting `accounts` maps: {mapped}); map it, or map it to null to "
                    "leave its transactions out", connection, record)
    return accounts[account_id]


def _amount(item: Mapping[str, Any], connection: str, record: str) -> Money:
    if item.get("iso_currency_code"):
        currency, field = item["iso_currency_code"], "iso_currency_code"
    elif item.get("unofficial_currency_code"):
        currency, field = item["unofficial_currency_code"], "unofficial_currency_code"
    else:
        raise _fail("no iso_currency_code nor unofficial_currency_code", connection, record)
    value = item.get("amount")
    if isinstance(value, float):
        raise _fail(f"amount {value!r} was read as a float: read Plaid's JSON with Decimal",
                    connection, record)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _fail(f"amount {value!r} is not a number", connection, record)
    try:
        return Money(-parse_minor(value, currency), currency)
    except MoneyError as exc:
        raise _fail(f"{field} {currency!r}: {exc}", connection, record) from None


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def _kind(item: Mapping[str, Any], amount: Money) -> str:
    category = item.get("personal_finance_category") or {}
    primary = category.get("primary") if isinstance(category, dict) else None
    detailed = category.get("detailed") if isinstance(category, dict) else None
    if detailed == "INCOME_INTEREST_EARNED":
        return "interest"
    return _KINDS.get(primary or "", "credit" if amount.minor > 0 else "debit")


def category_code(item: Mapping[str, Any]) -> str | None:
    """Plaid's category of a transaction: ``personal_finance_category.detailed``.

    Else its primary category, else the legacy ``category_id``. Plaid gives no
    merchant category code (MCC), so none is made up.
    """
    category = item.get("personal_finance_category")
    if isinstance(category, dict):
        for key in ("detailed", "primary"):
            if isinstance(category.get(key), str) and category[key]:
                return category[key][:64]
    legacy = item.get("category_id")
    return legacy[:64] if isinstance(legacy, str) and legacy else None


def _counterparty(item: Mapping[str, Any]) -> Counterparty | None:
    name = item.get("merchant_name")
    if not name:
        parties = [p for p in item.get("counterparties") or () if isinstance(p, dict)]
        named = [p for p in parties if p.get("name")]
        merchants = [p for p in named if p.get("type") == "merchant"]
        name = (merchants or named or [{}])[0].get("name")
    return Counterparty(name=str(name)) if name else None


def transaction_document(item: Mapping[str, Any], accounts: Mapping[str, str | None], *,
                         connection: str) -> BankTransaction | None:
    """The bank transaction of one Plaid transaction (None: its account is left out)."""
    record = str(item.get("transaction_id") or "?")
    if not isinstance(item.get("transaction_id"), str) or not item["transaction_id"]:
        raise MalformedPayload("a transaction has no transaction_id", connection=connection,
                               stream=STREAM)
    code = _ledger_account(item.get("account_id"), accounts, connection, record)
    if code is None:
        return None
    amount = _amount(item, connection, record)
    pending = bool(item.get("pending"))
    try:
        posted = _date(item.get("date"))
        authorized = _date(item.get("authorized_date"))
    except ValueError as exc:
        raise _fail(f"bad date: {exc}", connection, record) from None
    booked = (posted or authorized) if not pending else (authorized or posted)
    if booked is None:
        raise _fail("no date nor authorized_date", connection, record)
    description = item.get("original_description") or item.get("name") or ""
    try:
        return BankTransaction(
            source=Source(connection=connection, object_type="transaction",
                          external_id=item["transaction_id"]),
            account=code, booking_date=booked, amount=amount, currency=amount.currency,
            description=str(description), counterparty=_counterparty(item),
            bank_reference=item["transaction_id"], kind=_kind(item, amount), pending=pending,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise _fail(f"not a valid bank transaction: {problems}", connection, record) from None


def _raw(item: Mapping[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def page_batch(data: Mapping[str, Any], content: bytes, accounts: Mapping[str, str | None], *,
               item_id: str, connection: str) -> FeedBatch:
    """One ``/transactions/sync`` page as a bank book batch: added and modified, then removed."""
    try:
        changed = [*data["added"], *data["modified"]]
        removed = list(data["removed"])
        cursor = data.get("next_cursor") or ""
    except (KeyError, TypeError):
        raise MalformedPayload("not a /transactions/sync page (added, modified, removed)",
                               connection=connection, stream=STREAM) from None
    lines = []
    for item in changed:
        if not isinstance(item, dict):
            raise MalformedPayload("a transaction is not an object", connection=connection,
                                   stream=STREAM)
        document = transaction_document(item, accounts, connection=connection)
        if document is None:
            continue
        link = item.get("pending_transaction_id")
        replaces = link if isinstance(link, str) and link and not document.pending else None
        lines.append(FeedLine(document, replaces=replaces, raw=_raw(item),
                              category_code=category_code(item)))
    removals = []
    for item in removed:
        if not isinstance(item, dict) or not isinstance(item.get("transaction_id"), str):
            raise MalformedPayload("a removed transaction has no transaction_id",
                                   connection=connection, stream=STREAM)
        account_id = item.get("account_id")
        code = None
        if account_id is not None:
            code = _ledger_account(account_id, accounts, connection, item["transaction_id"])
            if code is None:
                continue
        removals.append(FeedRemoval(item["transaction_id"], code))
    return FeedBatch(f"plaid:{item_id}:{cursor}", "plaid", content, tuple(lines),
                     tuple(removals))
