"""The demo's second act: a tool posts documents to the real webhook gateway.

A "storefront" connection is added, the gateway is served on a local port, and
signed canonical documents are sent over HTTP the way n8n or a script would: a
payment that arrives before its invoice, the invoice, a duplicate delivery, a
corrected invoice and a forged request. A worker then posts what was accepted.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from ledgerbridge.api import create_app
from ledgerbridge.api.local import serve_in_thread
from ledgerbridge.connectors.webhook import sign
from ledgerbridge.ledger import Ledger
from ledgerbridge.sync.audit import audit_trail
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.status import connection_statuses
from ledgerbridge.sync.worker import Worker

__all__ = ["run_sync_demo"]


def _invoice(total_net: str, tax: str, version: str) -> dict[str, Any]:
    return {
        "type": "invoice",
        "source": {"connection": "storefront", "object_type": "invoice",
                   "external_id": "SO-5001", "version": version},
        "number": "SO-5001",
        "customer": {"external_id": "cus-88", "name": "Blue Harbor Cafe"},
        "issue_date": "2026-10-20",
        "payment_terms": {"name": "Net 15", "net_days": 15},
        "currency": "USD",
        "lines": [{"description": "Espresso machine service", "amount": total_net,
                   "tax_lines": [{"jurisdiction": "US-TX", "amount": tax}]}],
    }


PAYMENT = {
    "type": "payment",
    "source": {"connection": "storefront", "object_type": "payment", "external_id": "PAY-77"},
    "date": "2026-10-28",
    "currency": "USD",
    "amount": "649.50",
    "method": "bank_transfer",
    "contact": {"external_id": "cus-88", "name": "Blue Harbor Cafe"},
    "applications": [{"document": {"external_id": "SO-5001"}, "amount": "649.50"}],
}


def run_sync_demo(ledger: Ledger, console: Console) -> int:
    """Send documents through the gateway, post them, show the audit trail of one.

    Returns the id of the synced invoice's entry.
    """
    secret = secrets.token_hex(16)
    add_connection(ledger.engine, "storefront", "webhook", entity=ledger.entity.code,
                   settings={"secret": secret})
    sent = [
        ("payment before its invoice", PAYMENT, secret),
        ("invoice SO-5001", _invoice("600.00", "49.50", "1"), secret),
        ("the same invoice again", _invoice("600.00", "49.50", "1"), secret),
        ("a forged request", _invoice("9000.00", "742.50", "9"), "not-the-secret"),
    ]
    table = Table("sent", "HTTP", "answer", title="Webhooks to POST /webhooks/storefront")
    with serve_in_thread(create_app(ledger.engine)) as url, httpx.Client(timeout=10) as client:
        for label, document, key in sent:
            body = json.dumps(document).encode()
            answer = client.post(f"{url}/webhooks/storefront", content=body,
                                 headers={"x-ledgerbridge-signature": sign(body, key)})
            table.add_row(label, str(answer.status_code), answer.text)
    console.print(table)
    worker = Worker(ledger.engine)
    worker.run_until_idle()  # the payment waits for its invoice, then posts
    with ledger.engine.connect() as conn:
        (status,) = [s for s in connection_statuses(conn) if s.name == "storefront"]
        entry_id = conn.exec_driver_sql(
            "SELECT entry_id FROM documents WHERE external_id = 'SO-5001' "
            "AND status = 'current'").scalar()
    console.print(
        f"Worker: {worker.stats.posted} events posted, {worker.stats.ignored} ignored; "
        f"connection storefront: {status.posted} posted, {status.pending} pending, "
        f"{status.dead} dead letters. The forged request got 401 and was stored nowhere.",
        highlight=False,
    )
    trail = audit_trail(ledger, entry_id)
    console.rule(f"Audit trail of entry {entry_id}")
    for ln in trail.entry.lines:
        console.print(f"  {ln.account} {ln.account_name:<24} {ln.amount.text():>10}  "
                      f"{ln.party or ''}", highlight=False)
    document, raw = trail.document or {}, trail.raw or {}
    console.print(
        f"  <- document {document.get('type')} {document.get('external_id')} "
        f"version {document.get('version')}\n"
        f"  <- raw payload #{raw.get('id')} received {raw.get('received_at')} "
        f"via {raw.get('channel')} ({len(raw.get('body', ''))} bytes, signature verified)\n"
        f"  <- connection storefront (webhook)",
        highlight=False,
    )
    return entry_id
