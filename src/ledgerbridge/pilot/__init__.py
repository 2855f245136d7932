"""Pilot and parallel run: a connection posts into a shadow book, compared, then promoted.

``start_pilot`` points a connection at a shadow book (its own entity) with its
write-backs set aside; ``compare`` matches the shadow book against what the old
process produced (read by ``read_old_books``); ``cutover`` promotes the shadow
book's entries into the live book, each exactly once, and records who and when.
"""

from ledgerbridge.pilot.compare import (
    Comparison,
    Discrepancy,
    Kind,
    compare,
    discrepancy_report,
    totals_report,
)
from ledgerbridge.pilot.cutover import Cutover, Existing, cutover
from ledgerbridge.pilot.oldbooks import OldEntry, read_old_books
from ledgerbridge.pilot.shadow import Pilot, PilotStatus, get_pilot, list_pilots, start_pilot

__all__ = [
    "Comparison",
    "Cutover",
    "Discrepancy",
    "Existing",
    "Kind",
    "OldEntry",
    "Pilot",
    "PilotStatus",
    "compare",
    "cutover",
    "discrepancy_report",
    "get_pilot",
    "list_pilots",
    "read_old_books",
    "start_pilot",
    "totals_report",
]
