"""Model versions in the database: train, store, load, with a fingerprint of the data.

Each training stores a new version row: its seed, when it was trained, the SHA-256
of its training set, its metrics and the model's joblib bytes. Those bytes are
unpickled only from this table, which only this module writes: never load a model
from anywhere else. Retraining the same data with the same seed gives the same
predictions; the fingerprint says whether the data was the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from ledgerbridge.intelligence.categorize.features import Transaction, merchant_key
from ledgerbridge.intelligence.categorize.history import TrainingSet, bank_transaction
from ledgerbridge.intelligence.categorize.model import CategorizeError, Categorizer
from ledgerbridge.ledger import Ledger
from ledgerbridge.store.tables import bank_lines, categorization_corrections, categorization_models

__all__ = ["DEFAULT_THRESHOLD", "ModelVersion", "corrections", "fingerprint", "load",
           "save", "validate", "versions"]

DEFAULT_THRESHOLD = 0.8  # from this probability on, a line is coded without review
VALIDATION_SHARE = 5  # one fifth, the most recent, measures the model before it is kept


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One stored model: its number, seed, data fingerprint and measured figures."""

    version: int
    seed: int
    trained_at: dt.datetime
    fingerprint: str
    examples: int
    metrics: dict[str, float]


def fingerprint(data: TrainingSet) -> str:
    """SHA-256 over the training set's sources, accounts, texts and tax codes, in order.

    A line without a tax code hashes as it did before tax codes were learned.
    """
    digest = hashlib.sha256()
    codes = data.tax_codes or (None,) * len(data.txns)
    for source, txn, account, code in zip(data.sources, data.txns, data.accounts, codes,
                                          strict=True):
        taxed = f"\x1f{code}" if code else ""
        digest.update(f"{source}\x1f{txn.date}\x1f{txn.amount}\x1f{txn.currency}\x1f"
                      f"{txn.text}\x1f{txn.counterparty}\x1f{account}{taxed}\x1e".encode())
    return digest.hexdigest()


def validate(data: TrainingSet, seed: int, threshold: float) -> dict[str, float]:
    """Train on the older four fifths, measure on the newest fifth (empty if too few).

    With tax codes in the history, ``tax_accuracy`` is how often the best
    suggestion's tax code was the line's.
    """
    cut = len(data.txns) - len(data.txns) // VALIDATION_SHARE
    older, newer = data.accounts[:cut], data.accounts[cut:]
    if not newer or len(set(older)) < 2:
        return {}
    model = Categorizer.train(data.txns[:cut], older, tax_codes=data.tax_codes[:cut],
                              seed=seed)
    best = [s[0] for s in model.suggest(data.txns[cut:], top=1, explain=False)]
    hits = [b.account == a for b, a in zip(best, newer, strict=True)]
    auto = [h for b, h in zip(best, hits, strict=True) if b.confidence >= threshold]
    metrics = {"validation_lines": len(newer), "accuracy": round(sum(hits) / len(hits), 4),
               "threshold": threshold, "coverage": round(len(auto) / len(hits), 4),
               "auto_accuracy": round(sum(auto) / len(auto), 4) if auto else 0.0}
    if any(data.tax_codes):
        taxed = [b.tax_code == c for b, c in zip(best, data.tax_codes[cut:], strict=True)]
        metrics["tax_accuracy"] = round(sum(taxed) / len(taxed), 4)
    return metrics


def save(conn: Connection, ledger: Ledger, model: Categorizer, data: TrainingSet,
         metrics: dict[str, float]) -> ModelVersion:
    """Store ``model`` as the entity's next version."""
    version = (conn.execute(select(func.max(categorization_models.c.version)).where(
        categorization_models.c.entity_id == ledger.entity.id)).scalar() or 0) + 1
    now = dt.datetime.now(dt.UTC)
    made = ModelVersion(version, model.seed, now, fingerprint(data), len(data.txns), metrics)
    conn.execute(insert(categorization_models).values(
        entity_id=ledger.entity.id, version=version, seed=model.seed, trained_at=now,
        fingerprint=made.fingerprint, examples=made.examples,
        metrics=json.dumps(metrics, sort_keys=True), model=model.to_bytes()))
    return made


def _version(row) -> ModelVersion:  # noqa: ANN001 - a categorization_models row
    return ModelVersion(row.version, row.seed, row.trained_at, row.fingerprint, row.examples,
                        json.loads(row.metrics))


def versions(conn: Connection, ledger: Ledger) -> list[ModelVersion]:
    """The entity's stored versions, newest first."""
    rows = conn.execute(select(*(c for c in categorization_models.c if c.name != "model")).where(
        categorization_models.c.entity_id == ledger.entity.id).order_by(
        categorization_models.c.version.desc()))
    return [_version(r) for r in rows]


def load(conn: Connection, ledger: Ledger, version: int | None = None
         ) -> tuple[ModelVersion, Categorizer]:
    """A stored version (the newest by default) with every correction made since learned."""
    query = select(categorization_models).where(
        categorization_models.c.entity_id == ledger.entity.id)
    query = query.where(categorization_models.c.version == version) if version else query.order_by(
        categorization_models.c.version.desc()).limit(1)
    row = conn.execute(query).first()
    if row is None:
        raise CategorizeError(f"no categorization model {version or ''} in entity "
                              f"{ledger.entity.code!r}; train one first "
                              "(`ledgerbridge categorize train`)".replace("  ", " "))
    model = Categorizer.from_bytes(row.model)
    for txn, account, tax_code in corrections(conn, ledger):
        if merchant_key(txn):  # a line naming no merchant was coded, but teaches nothing
            model.learn(txn, account, tax_code)
    return _version(row), model


def corrections(conn: Connection, ledger: Ledger
                ) -> list[tuple[Transaction, str, str | None]]:
    """Every correction users made, oldest first: the line, the account and tax code chosen.

    The tax code is None when the correction set none (``NONE`` when it set "no tax").
    """
    rows = conn.execute(select(bank_lines, categorization_corrections.c.account.label("to"),
                               categorization_corrections.c.tax_code.label("to_tax")).join(
        categorization_corrections,
        categorization_corrections.c.bank_line_id == bank_lines.c.id).where(
        categorization_corrections.c.entity_id == ledger.entity.id).order_by(
        categorization_corrections.c.id))
    return [(bank_transaction(r), r.to, r.to_tax) for r in rows]
