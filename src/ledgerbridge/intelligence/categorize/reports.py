"""Suggestions, rules and model versions as reports (table, CSV, JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ledgerbridge.intelligence.categorize.coding import LineSuggestions
from ledgerbridge.intelligence.categorize.rules import Rule
from ledgerbridge.intelligence.categorize.versions import ModelVersion
from ledgerbridge.report import Column, ColumnKind, Report

__all__ = ["rules_report", "suggestions_report", "versions_report"]


def _percent(confidence: float) -> int:
    return round(confidence * 100)


def suggestions_report(items: Sequence[LineSuggestions], *, version: int, threshold: float,
                       currency: str, title: str) -> Report:
    """One row per line: its best three accounts, their tax codes, confidence and why."""
    rows = []
    for item in items:
        txn = item.line.txn
        row = {"line": item.line.id, "date": txn.date, "amount": txn.amount,
               "description": txn.text, "counterparty": txn.counterparty,
               "auto": "yes" if item.sure(threshold) else "review"}
        for k, s in enumerate(item.suggestions, start=1):
            row |= {f"account_{k}": s.account, f"confidence_{k}": _percent(s.confidence),
                    f"tax_{k}": s.tax_code, f"tax_confidence_{k}": _percent(s.tax_confidence),
                    f"source_{k}": s.source, f"why_{k}": "; ".join(s.reasons)}
        rows.append(row)
    columns = [Column("line", "Line", ColumnKind.INT), Column("date", "Date", ColumnKind.DATE),
               Column("amount", "Amount", ColumnKind.MONEY),
               Column("description", "Bank text"),
               Column("counterparty", "Counterparty", table=False),
               Column("auto", "Coded")]
    for k in (1, 2, 3):
        columns += [Column(f"account_{k}", f"#{k}"),
                    Column(f"confidence_{k}", "%", ColumnKind.INT),
                    Column(f"tax_{k}", "Tax", table=k == 1),
                    Column(f"tax_confidence_{k}", "Tax %", ColumnKind.INT, table=k == 1),
                    Column(f"source_{k}", "From", table=k == 1),
                    Column(f"why_{k}", "Why", table=k == 1)]
    return Report(title=title, columns=tuple(columns), rows=rows, currency=currency,
                  subtitle=f"model v{version}; coded automatically from {_percent(threshold)} %",
                  meta={"model_version": version, "threshold_percent": _percent(threshold)},
                  rows_key="lines")


def rules_report(rules: Sequence[Rule], currency: str) -> Report:
    """The rules, in the order they are applied, as they read."""
    return Report(
        title="Categorization rules",
        columns=(Column("id", "Id", ColumnKind.INT), Column("status", "Status"),
                 Column("rule", "Rule"), Column("vendor", "Vendor"),
                 Column("tax_code", "Tax code", table=False),
                 Column("support", "Past entries", ColumnKind.INT),
                 Column("field", "Field", table=False), Column("contains", "Contains",
                                                              table=False),
                 Column("account", "Account", table=False)),
        rows=[{"id": r.id, "status": r.status, "rule": str(r), "vendor": r.vendor,
               "support": r.support, "field": r.field, "contains": r.contains,
               "account": r.account, "tax_code": r.tax_code} for r in rules],
        currency=currency, rows_key="rules")


def versions_report(found: Sequence[ModelVersion], currency: str) -> Report:
    """Stored model versions, newest first, with their measured figures."""
    return Report(
        title="Categorization models",
        columns=(Column("version", "Version", ColumnKind.INT),
                 Column("trained_at", "Trained at"), Column("seed", "Seed", ColumnKind.INT),
                 Column("examples", "Lines", ColumnKind.INT),
                 Column("fingerprint", "Training set"), Column("metrics", "Metrics")),
        rows=[{"version": v.version, "trained_at": str(v.trained_at)[:19], "seed": v.seed,
               "examples": v.examples, "fingerprint": v.fingerprint[:16],
               "metrics": json.dumps(v.metrics, sort_keys=True)} for v in found],
        currency=currency, rows_key="versions")
