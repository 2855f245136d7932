"""Shopify Payments payouts as canonical documents: clearing -> transit, fees, adjustments.

Orders put what customers paid into clearing and refunds take it out. A payout
carries its balance transactions (for reconciliation) and posts its net from
clearing to funds in transit; its fees become one processing Fee, and every balance
movement that no order or refund explains (disputes, reserves, adjustments, credits
and debits) a Fee of its own, so clearing empties exactly when a payout settles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ledgerbridge.connectors.shopify.amounts import Json, shop_minor, text
from ledgerbridge.documents import Document, parse_document
from ledgerbridge.sync.errors import FatalError

__all__ = ["PROCESSOR", "payout_documents"]

PROCESSOR = "shopify_payments"
_STATUS = {"scheduled": "pending", "in_transit": "in_transit", "paid": "paid",
           "failed": "failed", "canceled": "canceled", "cancelled": "canceled"}
_KINDS = {"charge": "payment", "refund": "refund", "dispute": "dispute",
          "adjustment": "adjustment", "reserve": "adjustment", "credit": "adjustment",
          "debit": "adjustment", "payout": "transfer"}
_FROM_ORDERS = frozenset({"charge", "refund", "payout"})
_SUMMARY = ("adjustments", "charges", "refunds", "reserved_funds", "retried_payouts")


def _balance(txn: Json, currency: str) -> dict:
    related = txn.get("source_order_transaction_id") or txn.get("source_id")
    return {
        "external_id": str(txn["id"]), "kind": _KINDS.get(txn.get("type") or "", "other"),
        "created": txn.get("processed_at"),
        "gross": text(shop_minor(txn, "amount", currency), currency),
        "fee": text(shop_minor(txn, "fee", currency), currency),
        "net": text(shop_minor(txn, "net", currency), currency),
        "related": {"external_id": str(related)} if related else None,
        "description": txn.get("source_type"),
    }


def payout_documents(connection: str, payout: Json,
                     transactions: Sequence[Json] = ()) -> list[Document]:
    """The Payout (with its balance transactions) and the Fees it settles.

    Without balance transactions, the fees come from the payout's summary and the
    gross is the net plus those fees (summaries do not always add up). Balance
    transactions that do not add up to the payout are refused: a payout is
    only posted when everything in it is accounted for.
    """
    cur = payout["currency"]
    moves = [t for t in transactions if t.get("type") != "payout"]
    net = shop_minor(payout, "amount", cur)
    for txn in moves:
        parts = [shop_minor(txn, k, cur) for k in ("amount", "fee", "net")]
        if parts[0] - parts[1] != parts[2]:
            raise FatalError(
                f"balance transaction {txn['id']}: amount {txn.get('amount')} - fee "
                f"{txn.get('fee')} is not its net {txn.get('net')}",
                connection=connection, stream="payouts", record=str(payout["id"]))
    if moves:
        gross = sum(shop_minor(t, "amount", cur) for t in moves)
        fees = sum(shop_minor(t, "fee", cur) for t in moves)
    else:
        summary = payout.get("summary") or {}
        fees = sum(shop_minor(summary, f"{k}_fee_amount", cur) for k in _SUMMARY)
        gross = net + fees
    if gross - fees != net:
        raise FatalError(
            f"payout {payout['id']} is {text(net, cur)} but its balance transactions add up to "
            f"{text(gross - fees, cur)} (gross {text(gross, cur)}, fees {text(fees, cur)})",
            connection=connection, stream="payouts", record=str(payout["id"]))
    status = _STATUS.get(payout.get("status") or "", "pending")
    day = payout["date"]
    source = {"connection": connection, "object_type": "payout", "version": status}
    documents = [parse_document({
        "type": "payout", "source": {**source, "external_id": str(payout["id"])},
        "processor": PROCESSOR, "date": day, "arrival_date": day, "status": status,
        "currency": cur, "gross": text(gross, cur), "fees": text(fees, cur),
        "net": text(net, cur), "balance_transactions": [_balance(t, cur) for t in moves],
    })]
    if status in ("failed", "canceled"):
        return documents
    fee_base = {"type": "fee", "date": day, "currency": cur, "processor": PROCESSOR,
                "related": {"external_id": str(payout["id"])}}
    if fees:
        documents.append(parse_document({
            **fee_base, "source": {**source, "external_id": f"{payout['id']}:fees"},
            "kind": "processing", "amount": text(fees, cur),
            "description": f"Shopify Payments fees, payout {payout['id']}"}))
    for txn in moves:
        gross_minor = shop_minor(txn, "amount", cur)
        if txn.get("type") in _FROM_ORDERS or not gross_minor:
            continue
        documents.append(parse_document({
            **fee_base, "source": {**source, "external_id": f"balance:{txn['id']}"},
            "date": dt.datetime.fromisoformat(txn["processed_at"]).date().isoformat()
            if txn.get("processed_at") else day,
            "kind": "dispute" if txn.get("type") == "dispute" else "other",
            "amount": text(-gross_minor, cur),
            "description": f"Shopify Payments {txn.get('type')} "
                           f"{txn.get('source_type') or ''}".strip()}))
    return documents
