"""Anomalies and duplicate payments: checks, the flags they raise, and their dismissal."""

from ledgerbridge.intelligence.anomalies.checks import ManualEntry, Thresholds
from ledgerbridge.intelligence.anomalies.model import Flag, FlagKind, Outflow, Posting, vendor_key
from ledgerbridge.intelligence.anomalies.screen import (
    HIGH_SCORE,
    ScanResult,
    check,
    detect,
    scan,
    screen_document,
    screen_new_documents,
)
from ledgerbridge.intelligence.anomalies.store import FlagStatus, SavedFlag, dismiss, list_flags

__all__ = [
    "HIGH_SCORE",
    "Flag",
    "FlagKind",
    "FlagStatus",
    "ManualEntry",
    "Outflow",
    "Posting",
    "SavedFlag",
    "ScanResult",
    "Thresholds",
    "check",
    "detect",
    "dismiss",
    "list_flags",
    "scan",
    "screen_document",
    "screen_new_documents",
    "vendor_key",
]
