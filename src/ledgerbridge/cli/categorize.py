"""Categorization commands: train, suggest, apply, correct, review, rules, versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from ledgerbridge.cli.common import (
    DbOption,
    EntityOption,
    Format,
    FormatOption,
    OutputOption,
    console,
    fail,
    open_ledger,
    progress_bar,
)
from ledgerbridge.cli.ledger import emit
from ledgerbridge.intelligence.categorize import CategorizeError, coding, rulebook, versions
from ledgerbridge.intelligence.categorize.history import open_lines
from ledgerbridge.intelligence.categorize.reports import (
    rules_report,
    suggestions_report,
    versions_report,
)
from ledgerbridge.ledger import LedgerError

__all__ = ["categorize_app"]

categorize_app = typer.Typer(help="Code bank lines to accounts, learned from the ledger's "
                             "history.", no_args_is_help=True)
rules_app = typer.Typer(help="Rules mined from stable patterns: list, accept, edit, reject.",
                        no_args_is_help=True)
categorize_app.add_typer(rules_app, name="rules")

ThresholdOption = Annotated[float, typer.Option(
    envvar="LEDGERBRIDGE_CATEGORIZE_THRESHOLD", min=0.01, max=1.0,
    help="Confidence (0-1) from which a line is coded without review.")]
BankOption = Annotated[str | None, typer.Option(
    "--account", help="Only lines of this bank account (default: all).")]
VersionOption = Annotated[int | None, typer.Option(help="Model version (default: newest).")]
T = TypeVar("T")


def _guarded(action: Callable[[], T]) -> T:
    """Run ``action``; a refusal becomes a clear error and exit code 1."""
    try:
        return action()
    except (LedgerError, CategorizeError) as exc:
        raise fail(str(exc)) from None


@categorize_app.command("train")
def categorize_train(
    seed: Annotated[int, typer.Option(help="Seed: the same data and seed give the same "
                                      "model.")] = 0,
    threshold: ThresholdOption = versions.DEFAULT_THRESHOLD,
    min_support: Annotated[int, typer.Option(
        min=2, help="Past entries a pattern needs before it is proposed as a rule.")] = 5,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Train a new model version on every coded bank line and propose rules."""
    ledger = open_ledger(db, entity)
    with console.status("training"):
        result = _guarded(lambda: coding.train(
            ledger, seed=seed, threshold=threshold, min_support=min_support))
    stored, m = result.version, result.version.metrics
    measured = (f"; on the newest {m['validation_lines']} lines: {m['accuracy']:.1%} right, "
                f"{m['coverage']:.1%} coded automatically at {m['auto_accuracy']:.1%}"
                if m else "")
    if "tax_accuracy" in m:
        measured += f", tax codes {m['tax_accuracy']:.1%} right"
    console.print(f"model v{stored.version} trained on {stored.examples} lines (seed "
                  f"{stored.seed}, data {stored.fingerprint[:12]}){measured}; "
                  f"{result.rules_proposed} new rules proposed", highlight=False)


def _show(db: str | None, entity: str, account: str | None, version: int | None,
          threshold: float, review: bool, fmt: Format, output: Path | None) -> None:
    """Print the open lines' suggestions: all of them, or the review queue only."""
    ledger = open_ledger(db, entity)
    stored, items = _guarded(lambda: coding.suggest(ledger, bank_account=account,
                                                    version=version))
    if review:
        items = [i for i in items if not i.sure(threshold)]
    emit(suggestions_report(items, version=stored.version, threshold=threshold,
                            currency=ledger.entity.functional_currency,
                            title="Lines to review" if review else "Suggested accounts"),
         fmt, output)


@categorize_app.command("suggest")
def categorize_suggest(
    threshold: ThresholdOption = versions.DEFAULT_THRESHOLD,
    account: BankOption = None,
    version: VersionOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Every open bank line with its three best accounts, their confidence and why."""
    _show(db, entity, account, version, threshold, False, fmt, output)


@categorize_app.command("review")
def categorize_review(
    threshold: ThresholdOption = versions.DEFAULT_THRESHOLD,
    account: BankOption = None,
    version: VersionOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """The review queue: open lines below the threshold, with their top three suggestions."""
    _show(db, entity, account, version, threshold, True, fmt, output)


@categorize_app.command("apply")
def categorize_apply(
    threshold: ThresholdOption = versions.DEFAULT_THRESHOLD,
    account: BankOption = None,
    reconcile_threshold: Annotated[int, typer.Option(
        help="Reconcile's confidence (0-100) for accepting a match it finds.")] = 90,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Code the open lines the model is sure of, posting through reconcile; the rest wait."""
    ledger = open_ledger(db, entity)
    with ledger.engine.connect() as conn:
        total = len(open_lines(conn, ledger, bank_account=account))
    with progress_bar() as bar:
        task = bar.add_task("coding", total=total)
        result = _guarded(lambda: coding.apply(
            ledger, threshold=threshold, bank_account=account,
            reconcile_threshold=reconcile_threshold,
            progress=lambda n: bar.advance(task, n)))
    console.print(f"{result.lines} open lines: {result.coded} coded by model "
                  f"v{result.model_version}, {result.matched} matched by reconcile, "
                  f"{result.review} left for review", highlight=False)


@categorize_app.command("correct")
def categorize_correct(
    line: Annotated[int, typer.Argument(help="Bank line id (see `categorize suggest`).")],
    account: Annotated[str, typer.Argument(help="The account it belongs to.")],
    tax_code: Annotated[str | None, typer.Option(
        help="Its tax code (GB-20, EXEMPT ...): booked split into net and tax; NONE for "
             "no tax code.")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Code a line to ACCOUNT (recoding it if coded before) and remember it for its merchant."""
    ledger = open_ledger(db, entity)
    coded = _guarded(lambda: coding.code_line(ledger, line, account, tax_code))
    taxed = f" with tax code {tax_code}" if tax_code else ""
    if coded:
        console.print(f"bank line {line} coded to {account}{taxed}; remembered for its "
                      "merchant", highlight=False)
    else:
        console.print(f"bank line {line} remembered for {account}, but reconcile proposes a "
                      "match for it: see `reconcile status`", highlight=False)


@categorize_app.command("versions")
def categorize_versions(
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Stored model versions with their seed, training-set fingerprint and figures."""
    ledger = open_ledger(db, entity)
    with ledger.engine.connect() as conn:
        found = versions.versions(conn, ledger)
    emit(versions_report(found, ledger.entity.functional_currency), fmt, output)


@rules_app.command("list")
def rules_list(
    status: Annotated[str | None, typer.Option(
        help="Only rules with this status: proposed, accepted or rejected.")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """The rules, in the order they are applied."""
    if status is not None and status not in rulebook.STATUSES:
        raise fail(f"status {status!r} is not one of {', '.join(rulebook.STATUSES)}")
    ledger = open_ledger(db, entity)
    with ledger.engine.connect() as conn:
        found = rulebook.rules(conn, ledger, status)
    emit(rules_report(found, ledger.entity.functional_currency), fmt, output)


RuleArgument = Annotated[int, typer.Argument(help="Rule id (see `categorize rules list`).")]


def _decide(rule_id: int, status: str, db: str | None, entity: str) -> None:
    ledger = open_ledger(db, entity)

    def change() -> object:
        with ledger.engine.begin() as conn:
            return rulebook.decide(conn, ledger, rule_id, status)

    console.print(f"rule {rule_id} {status}: {_guarded(change)}", highlight=False)


@rules_app.command("accept")
def rules_accept(rule_id: RuleArgument, db: DbOption = None,
                 entity: EntityOption = "default") -> None:
    """Put a rule in force: it codes matching lines before the model is asked."""
    _decide(rule_id, "accepted", db, entity)


@rules_app.command("reject")
def rules_reject(rule_id: RuleArgument, db: DbOption = None,
                 entity: EntityOption = "default") -> None:
    """Reject a proposed rule; mining does not propose it again."""
    _decide(rule_id, "rejected", db, entity)


@rules_app.command("edit")
def rules_edit(
    rule_id: RuleArgument,
    field: Annotated[str | None, typer.Option(help="description or counterparty.")] = None,
    contains: Annotated[str | None, typer.Option(help="The text to look for.")] = None,
    account: Annotated[str | None, typer.Option(help="The account lines go to.")] = None,
    vendor: Annotated[str | None, typer.Option(help="The party to book.")] = None,
    tax_code: Annotated[str | None, typer.Option(
        help="The tax code to book (NONE: no tax code).")] = None,
    db: DbOption = None,
    entity: EntityOption = "default",
) -> None:
    """Change a rule's condition, account, vendor or tax code."""
    ledger = open_ledger(db, entity)

    def change() -> object:
        with ledger.engine.begin() as conn:
            return rulebook.edit(conn, ledger, rule_id, field=field, contains=contains,
                                 account=account, vendor=vendor, tax_code=tax_code)

    console.print(f"rule {rule_id}: {_guarded(change)}", highlight=False)
