"""The audit trail: GL entry -> canonical document -> raw payload -> connection.

An entry posted from a received supplier document leads to its canonical bill of
the intake connection, and under ``raw`` to the stored file: its name, media type,
SHA-256 and the Bill read from it (entries posted before intake bills were canonical
documents lead to the stored file only, as their document).
A document naming a stored receipt file (a card line's ``receipt: intake:<sha256>``)
carries that file too, as ``receipt_file``.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select

from ledgerbridge.intake.einvoice.bill import SOURCE_CONNECTION as INTAKE
from ledgerbridge.ledger import JournalEntry, Ledger
from ledgerbridge.store.tables import connections, documents, inbox, intake_documents

__all__ = ["AuditTrail", "audit_trail"]

RECEIPT_FILE = f"{INTAKE}:"
"""How a document names a receipt file of the document store: ``intake:<sha256>``."""


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """Everything behind one journal entry, from the ledger back to the source."""

    entry: JournalEntry
    document: dict[str, Any] | None
    raw: dict[str, Any] | None
    connection: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (amounts as decimal strings, raw body as text)."""
        entry = asdict(self.entry)
        entry["lines"] = [
            {**{k: v for k, v in line.items() if k not in ("amount", "original")},
             "amount": ln.amount.text(), "currency": ln.amount.currency,
             "original_amount": ln.original.text(), "original_currency": ln.original.currency,
             "rate": None if ln.rate is None else str(ln.rate)}
            for line, ln in zip(entry["lines"], self.entry.lines, strict=True)
        ]
        return json.loads(json.dumps({"entry": entry, "document": self.document,
                                      "raw": self.raw, "connection": self.connection},
                                     default=str))


def audit_trail(ledger: Ledger, entry_id: int, *, conn: Connection | None = None) -> AuditTrail:
    """Walk from an entry to its document, raw payload and connection in one step."""
    with ledger.engine.connect() if conn is None else nullcontext(conn) as c:
        entry = ledger.entry(entry_id, conn=c)
        lineage = entry.lineage
        document = raw = connection = None
        if lineage.document_id and lineage.document_id.isdigit():
            row = c.execute(select(documents, connections.c.system)
                            .join(connections, connections.c.id == documents.c.connection_id)
                            .where(documents.c.id == int(lineage.document_id))).first()
            if row is not None and row.system == INTAKE:
                raw = _received(c, ledger, row.external_id)
            if row is not None:
                document = {"id": row.id, "type": row.type, "external_id": row.external_id,
                            "version": row.version, "status": row.status,
                            "data": json.loads(row.data)}
                receipt = document["data"].get("receipt") or ""
                if receipt.startswith(RECEIPT_FILE):
                    document["receipt_file"] = _received(c, ledger,
                                                         receipt.removeprefix(RECEIPT_FILE))
        elif lineage.connection == INTAKE and lineage.external_id:
            document = _received(c, ledger, lineage.external_id)
        if lineage.raw_payload_id and lineage.raw_payload_id.isdigit():
            row = c.execute(select(inbox).where(inbox.c.id == int(lineage.raw_payload_id))
                            ).first()
            if row is not None:
                raw = {"id": row.id, "channel": row.channel, "received_at": row.received_at,
                       "event_id": row.event_id, "status": row.status, "verified": row.verified,
                       "headers": json.loads(row.headers),
                       "body": row.body.decode("utf-8", errors="replace")}
        if lineage.connection:
            row = c.execute(select(connections.c.name, connections.c.system)
                            .where(connections.c.name == lineage.connection)).first()
            connection = {"name": lineage.connection,
                          "system": row.system if row is not None else None}
    return AuditTrail(entry, document, raw, connection)



def _received(conn: Connection, ledger: Ledger, sha256: str) -> dict[str, Any] | None:
    """The stored supplier document with this file hash, without its bytes."""
    d = intake_documents.c
    row = conn.execute(select(d.id, d.file_name, d.media_type, d.sha256, d.status, d.format,
                              d.document).where(d.entity_id == ledger.entity.id,
                                                d.sha256 == sha256)).first()
    if row is None:
        return None
    return {"id": row.id, "type": "received_file", "file_name": row.file_name,
            "media_type": row.media_type, "sha256": row.sha256, "status": row.status,
            "format": row.format, "data": json.loads(row.document) if row.document else None}
