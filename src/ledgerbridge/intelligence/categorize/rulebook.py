"""Stored categorization rules: proposed by mining, then accepted, edited or rejected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from sqlalchemy import Connection, func, insert, select, update

from ledgerbridge.intelligence.categorize.model import CategorizeError
from ledgerbridge.intelligence.categorize.rules import Field, Rule
from ledgerbridge.ledger import Ledger
from ledgerbridge.store.tables import categorization_rules

__all__ = ["STATUSES", "accepted", "check_account", "decide", "edit", "rules", "store_proposed"]

STATUSES = ("proposed", "accepted", "rejected")


def check_account(conn: Connection, ledger: Ledger, code: str) -> None:
    """Refuse an account code that is not an active account of the chart."""
    if not any(a.code == code and a.active for a in ledger.accounts(conn=conn)):
        raise CategorizeError(f"account {code!r} is not an active account of entity "
                              f"{ledger.entity.code!r}")


def _rule(row) -> Rule:  # noqa: ANN001 - a categorization_rules row
    return Rule(row.field, row.contains, row.account, row.vendor, row.support, row.status,
                row.id, row.tax_code)


def rules(conn: Connection, ledger: Ledger, status: str | None = None) -> list[Rule]:
    """The entity's rules (of one status, if given), in the order they are applied."""
    query = select(categorization_rules).where(
        categorization_rules.c.entity_id == ledger.entity.id)
    if status is not None:
        query = query.where(categorization_rules.c.status == status)
    return [_rule(r) for r in conn.execute(query.order_by(
        categorization_rules.c.support.desc(), categorization_rules.c.id))]


def accepted(conn: Connection, ledger: Ledger) -> list[Rule]:
    """The rules in force, consulted before the model."""
    return rules(conn, ledger, "accepted")


def store_proposed(conn: Connection, ledger: Ledger, mined: Sequence[Rule]) -> int:
    """Store mined rules not seen before (in any status); how many were new."""
    known = {(r.field, r.contains) for r in rules(conn, ledger)}
    fresh = [r for r in mined if (r.field, r.contains) not in known]
    if fresh:
        conn.execute(insert(categorization_rules), [
            {"entity_id": ledger.entity.id, "field": r.field, "contains": r.contains,
             "account": r.account, "vendor": r.vendor, "status": "proposed",
             "support": r.support, "tax_code": r.tax_code} for r in fresh])
    return len(fresh)


def _one(conn: Connection, ledger: Ledger, rule_id: int) -> Rule:
    row = conn.execute(select(categorization_rules).where(
        categorization_rules.c.id == rule_id,
        categorization_rules.c.entity_id == ledger.entity.id)).first()
    if row is None:
        raise CategorizeError(f"no categorization rule {rule_id} in entity "
                              f"{ledger.entity.code!r}")
    return _rule(row)


def decide(conn: Connection, ledger: Ledger, rule_id: int, status: str) -> Rule:
    """Accept or reject a rule (or put it back to proposed)."""
    if status not in STATUSES:
        raise CategorizeError(f"rule {rule_id}: status {status!r} is not one of {STATUSES}")
    rule = _one(conn, ledger, rule_id)
    if status == "accepted":
        check_account(conn, ledger, rule.account)
    conn.execute(update(categorization_rules).where(categorization_rules.c.id == rule_id).values(
        status=status, decided_at=func.now()))
    return _one(conn, ledger, rule_id)


def edit(conn: Connection, ledger: Ledger, rule_id: int, *, field: str | None = None,
         contains: str | None = None, account: str | None = None,
         vendor: str | None = None, tax_code: str | None = None) -> Rule:
    """Change a rule's condition, account, vendor or tax code (``NONE``: no tax).

    The rule keeps its status.
    """
    rule = _one(conn, ledger, rule_id)
    if field is not None and field not in get_args(Field):
        raise CategorizeError(f"rule {rule_id}: field {field!r} is not one of {get_args(Field)}")
    if contains is not None and not contains.strip():
        raise CategorizeError(f"rule {rule_id}: the text to look for is empty")
    if account is not None:
        check_account(conn, ledger, account)
    changes = {"field": field, "contains": contains.strip() if contains else None,
               "account": account, "vendor": vendor, "tax_code": tax_code}
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes.get("tax_code", "x").upper() in ("NONE", ""):
        changes["tax_code"] = None
    if changes:
        clash = conn.execute(select(categorization_rules.c.id).where(
            categorization_rules.c.entity_id == ledger.entity.id,
            categorization_rules.c.field == changes.get("field", rule.field),
            categorization_rules.c.contains == changes.get("contains", rule.contains),
            categorization_rules.c.id != rule_id)).scalar()
        if clash is not None:
            raise CategorizeError(f"rule {rule_id}: rule {clash} already looks for that text")
        conn.execute(update(categorization_rules).where(
            categorization_rules.c.id == rule_id).values(**changes))
    return _one(conn, ledger, rule_id)
