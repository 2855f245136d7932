"""Bank reconciliation: match statement lines with the book, score, accept, undo."""

from ledgerbridge.reconcile.engine import (
    ReconcileError,
    RunResult,
    accept,
    book_lines,
    reject,
    run,
    undo,
)
from ledgerbridge.reconcile.report import reconciliation_report
from ledgerbridge.reconcile.score import FeePolicy

__all__ = [
    "FeePolicy",
    "ReconcileError",
    "RunResult",
    "accept",
    "book_lines",
    "reconciliation_report",
    "reject",
    "run",
    "undo",
]
