"""A piloted company: a generated quarter posted into a shadow book, and old-process files."""

from __future__ import annotations

import csv
from pathlib import Path

from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.exports import write_hledger
from ledgerbridge.money import format_minor
from ledgerbridge.pilot import OldEntry, Pilot, read_old_books, start_pilot
from ledgerbridge.sandbox.company import company_documents, load_company
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.worker import Worker

SEED = 7
WRITEBACKS = ("writeback:\n"
              "  - {on: invoice.paid, connection: source, command: set_invoice_status}\n")


def company_connection(ledger: Ledger, name: str = "company") -> None:
    """A webhook connection of the ledger's entity that writes invoice states back."""
    add_connection(ledger.engine, name, "webhook", entity=ledger.entity.code,
                   settings={"secret": "sandbox-secret"}, mapping=WRITEBACKS)


def run_company(ledger: Ledger, name: str = "company") -> None:
    """Load the generated quarter into the connection and post it."""
    load_company(ledger.engine, name, company_documents(SEED))
    worker = Worker(ledger.engine)
    worker.run_until_idle()
    assert worker.stats.dead == worker.stats.failed == 0


def piloted(ledger: Ledger) -> tuple[Pilot, Ledger]:
    """The generated quarter run in shadow mode; returns the pilot and its shadow book."""
    company_connection(ledger)
    pilot = start_pilot(ledger.engine, "company", by="pat")
    run_company(ledger)
    return pilot, Ledger(ledger.engine, pilot.shadow_entity)


def write_csv_journal(path: Path, entries: list[OldEntry], names: dict[str, str]) -> None:
    """An old process's CSV journal: one row per line, account names, debit and credit."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Journal", "Date", "Reference", "Account", "Debit", "Credit", "Memo"])
        for n, entry in enumerate(entries, start=1):
            for account, amount in entry.lines:
                out.writerow([f"J{n}", entry.date.isoformat(), entry.reference or "",
                              names[account], format_minor(max(amount, 0), "USD"),
                              format_minor(max(-amount, 0), "USD"), entry.memo])


def old_process(shadow: Ledger, directory: Path) -> list[OldEntry]:
    """What a faithful old process would have booked: the shadow book's entries."""
    path = directory / "faithful.journal"
    with path.open("w", encoding="utf-8") as out:
        write_hledger(shadow, out)
    return read_old_books(path, shadow.accounts(), "USD")
