"""Push targets: the ledger's processor activity pushed to accounting packages.

The ledger keeps every entry with its lineage; a target connection (QuickBooks,
Xero) receives it in detail or as daily or per-payout summary journals, as its
``targets:`` section of the mapping says. Switching modes needs no re-import:
the push state records which entries each pushed journal covers.
"""

from ledgerbridge.targets.plan import PlannedJournal, ProcessorEntry, plan_journals
from ledgerbridge.targets.push import PushedJournal, TargetError, push_target, target_report

__all__ = [
    "PlannedJournal",
    "ProcessorEntry",
    "PushedJournal",
    "TargetError",
    "plan_journals",
    "push_target",
    "target_report",
]
