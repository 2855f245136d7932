"""Code bank lines: train from the ledger, suggest, apply above a threshold, correct.

Coding posts nothing itself. Each line to code gets a bank rule of its own and
reconcile's ``book_lines`` books exactly those lines, as ``run`` books a user's
bank rule: same entry, same lineage, same undo. Lines a reconciliation candidate
explains get match proposals instead. A line coded with a taxed code is booked
split into net and tax, as a bank rule with that ``tax_code`` books it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from ledgerbridge.intelligence.categorize import rulebook, versions
from ledgerbridge.intelligence.categorize.history import OpenLine, open_lines, training_set
from ledgerbridge.intelligence.categorize.model import CategorizeError, Categorizer, Suggestion
from ledgerbridge.intelligence.categorize.rules import Rule, mine_rules
from ledgerbridge.intelligence.categorize.taxes import TaxGuess
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.tax import percent_of
from ledgerbridge.reconcile import book_lines, run, undo
from ledgerbridge.reconcile.rules import BankRule, catalog_rates
from ledgerbridge.store.tables import (
    bank_lines,
    categorization_corrections,
    reconciliation_links,
    reconciliations,
)

__all__ = ["ApplyResult", "LineSuggestions", "TrainResult", "apply", "code_line", "suggest",
           "train"]

RECONCILE_THRESHOLD = 90  # reconcile's own default for accepting a match


@dataclass(frozen=True, slots=True)
class TrainResult:
    """The version stored and the rules newly proposed."""

    version: versions.ModelVersion
    rules_proposed: int


@dataclass(frozen=True, slots=True)
class LineSuggestions:
    """An open bank line and its best accounts, best first."""

    line: OpenLine
    suggestions: tuple[Suggestion, ...]

    def sure(self, threshold: float) -> bool:
        """Whether the best suggestion's account and tax code are sure enough to code."""
        return bool(self.suggestions) and self.suggestions[0].confidence >= threshold and \
            self.suggestions[0].tax_confidence >= threshold


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply did: lines looked at, coded, matched by reconcile instead, left to review."""

    lines: int
    coded: int
    matched: int
    review: int
    model_version: int


def train(ledger: Ledger, *, seed: int = 0, threshold: float = versions.DEFAULT_THRESHOLD,
          min_support: int = 5) -> TrainResult:
    """Train on every coded bank line, store the next version and propose mined rules."""
    with ledger.engine.begin() as conn:
        data = training_set(conn, ledger)
        if not data.txns:
            raise CategorizeError(f"entity {ledger.entity.code!r} has no coded bank lines to "
                                  "learn from; reconcile some first")
        metrics = versions.validate(data, seed, threshold)
        model = Categorizer.train(data.txns, data.accounts, parties=data.parties,
                                  tax_codes=data.tax_codes, seed=seed)
        stored = versions.save(conn, ledger, model, data, metrics)
        mined = mine_rules(data.txns, data.accounts, data.parties, tax_codes=data.tax_codes,
                           min_support=min_support)
        return TrainResult(stored, rulebook.store_proposed(conn, ledger, mined))


def _with_rules(found: list[Suggestion], rule: Rule | None, top: int,
                model: Categorizer, line: OpenLine) -> tuple[Suggestion, ...]:
    """The rule's account first; its tax code, else the one learned for that account."""
    if rule is None:
        return tuple(found)
    first = Suggestion(rule.account, 1.0, "rule", (f"rule {rule}",), rule.vendor, rule.tax_code)
    if rule.tax_code is None:
        same = next((s for s in found if s.account == rule.account), None)
        guess = (TaxGuess(same.tax_code, same.tax_confidence, "") if same is not None
                 else model.tax_for(line.txn, rule.account))
        first = first.with_tax(guess, explain=False)
    return (first, *[s for s in found if s.account != rule.account])[:top]


def suggest(ledger: Ledger, *, bank_account: str | None = None, top: int = 3,
            line_ids: list[int] | None = None, version: int | None = None,
            explain: bool = True) -> tuple[versions.ModelVersion, list[LineSuggestions]]:
    """Suggestions for every open bank line: accepted rules first, then the model.

    ``explain=False`` leaves the model's reasons out, which is much faster.
    """
    with ledger.engine.connect() as conn:
        stored, model = versions.load(conn, ledger, version)
        in_force = rulebook.accepted(conn, ledger)
        lines = open_lines(conn, ledger, bank_account=bank_account, line_ids=line_ids)
    found = model.suggest([ln.txn for ln in lines], top=top, explain=explain)
    out = [LineSuggestions(ln, _with_rules(f, next((r for r in in_force if r.holds(ln.txn)),
                                                   None), top, model, ln))
           for ln, f in zip(lines, found, strict=True)]
    return stored, out


def _coding_rule(line: OpenLine, account: str, vendor: str | None, name: str,
                 tax_code: str | None = None) -> BankRule:
    """The bank rule that codes ``line``: account, tax code, the vendor or counterparty."""
    return BankRule(name=name, account=account, vendor=vendor or line.txn.counterparty,
                    tax_code=tax_code)


def apply(ledger: Ledger, *, threshold: float = versions.DEFAULT_THRESHOLD,
          bank_account: str | None = None, reconcile_threshold: int = RECONCILE_THRESHOLD,
          progress: Callable[[int], None] | None = None) -> ApplyResult:
    """Code every open line whose best suggestion reaches ``threshold``; the rest wait.

    Runs reconcile on each bank account concerned first, so matches come first and
    are accepted from ``reconcile_threshold``; then books each sure line still
    open by a bank rule of its own (``book_lines``), which touches no other line.
    """
    if not 0 < threshold <= 1:
        raise CategorizeError(f"threshold {threshold} is not a probability in (0, 1]")
    stored, found = suggest(ledger, bank_account=bank_account, top=1, explain=False)
    active = {a.code for a in ledger.accounts() if a.active}
    with ledger.engine.connect() as conn:
        catalog = catalog_rates(conn, ledger)
    by_bank: dict[str, list[LineSuggestions]] = defaultdict(list)
    for item in found:
        by_bank[item.line.bank_account].append(item)
    coded = matched = 0
    for bank, items in sorted(by_bank.items()):
        run(ledger, account=bank, auto_threshold=reconcile_threshold)
        with ledger.engine.connect() as conn:  # what the run left open, as book_lines takes it
            still = {ln.id for ln in open_lines(conn, ledger, bank_account=bank)
                     if ln.txn.currency == ledger.entity.functional_currency}
        chosen = {}
        for item in items:
            if item.line.id not in still or not item.sure(threshold):
                continue
            best = item.suggestions[0]
            if best.account in active and _has_rate(best.tax_code, catalog):
                name = f"categorize v{stored.version}: {best.source} {best.confidence:.0%}"
                chosen[item.line.id] = _coding_rule(item.line, best.account, best.vendor, name,
                                                    best.tax_code)
        book_lines(ledger, chosen, account=bank)
        done_coded, done_matched = _outcome(ledger, [i.line.id for i in items])
        coded += done_coded
        matched += done_matched
        if progress is not None:
            progress(len(items))
    return ApplyResult(len(found), coded, matched, len(found) - coded - matched, stored.version)


def _has_rate(tax_code: str | None, catalog: dict) -> bool:
    """Whether a line with this tax code can be booked: no code, a rate in it, or the catalog's."""
    return tax_code is None or percent_of(tax_code) is not None or tax_code in catalog


def _outcome(ledger: Ledger, line_ids: list[int]) -> tuple[int, int]:
    """Of these lines, how many a rule coded and how many a match reconciled."""
    coded = matched = 0
    with ledger.engine.connect() as conn:
        for chunk in range(0, len(line_ids), 5000):
            rows = conn.execute(select(reconciliations.c.kind).join(
                reconciliation_links,
                reconciliation_links.c.reconciliation_id == reconciliations.c.id).where(
                reconciliation_links.c.bank_line_id.in_(line_ids[chunk:chunk + 5000]),
                reconciliations.c.status == "accepted"))
            for (kind,) in rows:
                coded += kind == "rule"
                matched += kind != "rule"
    return coded, matched


def code_line(ledger: Ledger, line_id: int, account: str, tax_code: str | None = None) -> bool:
    """Code one bank line to ``account`` as the user says, and remember it for its merchant.

    With ``tax_code`` the line is booked split into net and tax (``NONE``: no tax
    code) and the code is remembered for the merchant too; without one it is
    booked gross, without a code. A line coded before (by a rule or a coding) is
    undone first: its entry is reversed. A line a reconciliation matched with an
    invoice or a book line is refused: undo that reconciliation first. Returns
    whether the line is now coded (False when reconcile found a match proposal for
    it, which then waits there).
    """
    with ledger.engine.begin() as conn:
        rulebook.check_account(conn, ledger, account)
        row = conn.execute(select(bank_lines.c.status).where(
            bank_lines.c.id == line_id, bank_lines.c.entity_id == ledger.entity.id)).first()
        if row is None:
            raise CategorizeError(f"no bank line {line_id} in entity {ledger.entity.code!r}")
        if row.status not in ("unreconciled", "reconciled"):
            raise CategorizeError(f"bank line {line_id} is {row.status}; resolve that first")
        earlier = conn.execute(select(reconciliations.c.id, reconciliations.c.kind).join(
            reconciliation_links,
            reconciliation_links.c.reconciliation_id == reconciliations.c.id).where(
            reconciliation_links.c.bank_line_id == line_id,
            reconciliations.c.status == "accepted")).first()
        if earlier is not None and earlier.kind != "rule":
            raise CategorizeError(
                f"bank line {line_id} is matched by reconciliation {earlier.id} ({earlier.kind});"
                f" undo it first (`ledgerbridge reconcile undo {earlier.id}`)")
        booked_code = None if tax_code is None or tax_code.upper() == "NONE" else tax_code
        if not _has_rate(booked_code, catalog_rates(conn, ledger)):
            raise CategorizeError(f"bank line {line_id}: tax code {tax_code!r} states no rate "
                                  "and the catalog has no TaxRate for it")
        conn.execute(categorization_corrections.insert().values(
            entity_id=ledger.entity.id, bank_line_id=line_id, account=account,
            tax_code=tax_code))
    if earlier is not None:
        undo(ledger, earlier.id)
    with ledger.engine.connect() as conn:
        found = open_lines(conn, ledger, line_ids=[line_id])
    if not found:
        raise CategorizeError(f"bank line {line_id} is not open (reconciled otherwise, or "
                              f"pending); {account} is remembered for the merchant")
    [line] = found
    rule = _coding_rule(line, account, None, f"categorize: coded by hand to {account}",
                        booked_code)
    return book_lines(ledger, {line_id: rule}, account=line.bank_account).by_rule == 1
