"""Data quality: the data audit and entity resolution of contacts across systems."""

from ledgerbridge.quality.audit import CHECKS, Finding, audit
from ledgerbridge.quality.merges import (
    CanonicalContact,
    Merge,
    MergeError,
    Resolution,
    accept,
    canonical_contacts,
    merge_records,
    merges,
    resolve_contacts,
    undo,
)
from ledgerbridge.quality.records import ContactRecord, load_records
from ledgerbridge.quality.reports import (
    contacts_report,
    findings_report,
    merges_report,
    summary_report,
)
from ledgerbridge.quality.resolve import Cluster, Known, resolve

__all__ = [
    "CHECKS",
    "CanonicalContact",
    "Cluster",
    "ContactRecord",
    "Finding",
    "Known",
    "Merge",
    "MergeError",
    "Resolution",
    "accept",
    "audit",
    "canonical_contacts",
    "contacts_report",
    "findings_report",
    "load_records",
    "merge_records",
    "merges",
    "merges_report",
    "resolve",
    "resolve_contacts",
    "summary_report",
    "undo",
]
