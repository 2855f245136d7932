"""Audit findings, merge proposals and canonical contacts as reports (table, CSV, JSON)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from ledgerbridge.quality.audit import CHECKS, Finding
from ledgerbridge.quality.merges import CanonicalContact, Merge
from ledgerbridge.report import Column, ColumnKind, Report

__all__ = ["contacts_report", "findings_report", "merges_report", "summary_report"]

EXAMPLES = 3


def summary_report(findings: Sequence[Finding], currency: str, subtitle: str) -> Report:
    """One row per check that found something: how many, a few examples, the fix."""
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_check[f.check].append(f)
    rows = [{"check": check, "count": len(found),
             "examples": "; ".join(f.detail for f in found[:EXAMPLES]), "fix": CHECKS[check]}
            for check, found in by_check.items()]
    return Report(
        "Data audit", (Column("check", "Check"), Column("count", "Count", ColumnKind.INT),
                       Column("examples", "Examples"), Column("fix", "Suggested fix")),
        rows, currency, subtitle=subtitle,
        meta={"findings": len(findings), "checks_run": len(CHECKS)}, rows_key="checks",
        totals={"count": len(findings)})


def findings_report(findings: Sequence[Finding], currency: str, subtitle: str) -> Report:
    """Every finding: check, record, what is wrong, the fix."""
    counts = Counter(f.check for f in findings)
    return Report(
        "Data audit findings",
        (Column("check", "Check"), Column("record", "Record"), Column("detail", "Problem"),
         Column("fix", "Suggested fix")),
        [{"check": f.check, "record": f.record, "detail": f.detail, "fix": f.fix}
         for f in findings],
        currency, subtitle=subtitle, meta={"counts": dict(counts)}, rows_key="findings")


def merges_report(found: Sequence[Merge], currency: str, title: str) -> Report:
    """Merges: id, confidence, proposed name, the records joined and why."""
    return Report(
        title,
        (Column("id", "Id", ColumnKind.INT), Column("status", "Status"),
         Column("confidence", "Confidence %", ColumnKind.INT), Column("name", "Contact"),
         Column("contact_id", "Contact id", ColumnKind.INT),
         Column("records", "Records"), Column("reasons", "Why")),
        [{"id": m.id, "status": m.status, "confidence": m.confidence, "name": m.name,
          "contact_id": m.contact_id,
          "records": "; ".join(f"{name} ({key})" for key, name in m.members),
          "reasons": ", ".join(m.reasons)} for m in found],
        currency, rows_key="merges")


def contacts_report(found: Sequence[CanonicalContact], currency: str) -> Report:
    """Canonical contacts with the records and names known to be them."""
    return Report(
        "Canonical contacts",
        (Column("id", "Id", ColumnKind.INT), Column("name", "Name"),
         Column("records", "Records"), Column("names", "Known names")),
        [{"id": c.id, "name": c.name, "records": " ".join(c.records),
          "names": "; ".join(c.names)} for c in found],
        currency, rows_key="contacts")
