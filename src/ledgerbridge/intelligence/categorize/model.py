"""The learned categorizer: a linear model over text n-grams, with a memory of corrections.

:meth:`Categorizer.train` fits a multinomial logistic regression on past
transactions and the accounts they were coded to. :meth:`Categorizer.suggest`
returns, per transaction, the top accounts with a probability and the reasons: the
n-grams and facts that weighed most for that account and the nearest past entries
coded to it. :meth:`Categorizer.learn` takes a user's correction without a retrain:
the correction goes into a per-merchant memory consulted before the model.
Each suggested account comes with the tax code it takes (``taxes.py``).
The same transactions, accounts and seed always give the same model.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import joblib
import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from ledgerbridge.intelligence.categorize.features import (
    Transaction,
    feature_union,
    merchant,
    merchant_key,
)
from ledgerbridge.intelligence.categorize.taxes import TaxCodes, TaxGuess
from ledgerbridge.money import format_minor

__all__ = ["Categorizer", "CategorizeError", "Suggestion"]

_REGULARIZATION = 20.0  # inverse strength: the n-gram space is wide and sparse


class CategorizeError(ValueError):
    """Categorization refused, with the reason."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One account proposed for a transaction.

    Attributes:
        account: the account code.
        confidence: the probability the account is right, 0 to 1.
        source: ``rule``, ``memory`` (a user's correction) or ``model``.
        reasons: why, in words: terms, facts and past entries.
        vendor: the party past entries of this merchant named, when they agree.
        tax_code: the tax code the line takes with this account (None: no tax).
        tax_confidence: the probability that tax code is right, 0 to 1.

    """

    account: str
    confidence: float
    source: str
    reasons: tuple[str, ...]
    vendor: str | None = None
    tax_code: str | None = None
    tax_confidence: float = 1.0

    def with_tax(self, guess: TaxGuess, explain: bool = True) -> Suggestion:
        """The suggestion with a tax code, its reason added when ``explain``."""
        reasons = (*self.reasons, guess.reason) if explain and guess.reason else self.reasons
        return Suggestion(self.account, self.confidence, self.source, reasons, self.vendor,
                          guess.code, guess.confidence)


def _feature_label(name: str) -> str:
    """Say a feature's name the way a bookkeeper reads it."""
    part, _, value = name.partition("__")
    if part == "party":
        return f'merchant "{value}"'
    fact, _, what = value.partition("=")
    return {"sign": f"money {what}", "size": "amount size", "amount": "same amount",
            "mcc": f"MCC {what}", "weekday": "weekday", "month": "month"}.get(fact, value)


def _describe(txn: Transaction) -> str:
    return (f"{txn.date.isoformat()} {txn.text[:40]} "
            f"{format_minor(txn.amount, txn.currency)} {txn.currency}")


class Categorizer:
    """A trained model, its training set (for reasons) and the corrections it learned."""

    def __init__(self, features: FeatureUnion, model: LogisticRegression,
                 history: tuple[Transaction, ...], labels: tuple[str, ...], seed: int,
                 vendors: dict[str, str], taxes: TaxCodes | None = None) -> None:
        """Wrap fitted parts; use :meth:`train` or :meth:`from_bytes` to get one."""
        self.features = features
        self.model = model
        self.history = history
        self.labels = labels
        self.seed = seed
        self.vendors = vendors
        self.taxes = taxes or TaxCodes({}, None)
        self.memory: dict[str, str] = {}
        self.tax_memory: dict[str, str | None] = {}  # merchant key -> code (None: no tax)
        self._names: np.ndarray | None = None
        self._history_matrix: sparse.csr_matrix | None = None

    @classmethod
    def train(cls, txns: Sequence[Transaction], accounts: Sequence[str], *,
              parties: Sequence[str | None] = (), tax_codes: Sequence[str | None] = (),
              seed: int = 0) -> Categorizer:
        """Fit on past transactions and their accounts; the same inputs give the same model.

        ``parties`` (optional, one per transaction) are the vendors past entries
        named; a merchant whose entries always named the same one gets it suggested.
        ``tax_codes`` (optional, one per transaction) are the codes the lines carried.
        """
        if tax_codes and len(tax_codes) != len(txns):
            raise CategorizeError(f"{len(txns)} transactions but {len(tax_codes)} tax codes")
        if len(txns) != len(accounts):
            raise CategorizeError(f"{len(txns)} transactions but {len(accounts)} accounts")
        if len(set(accounts)) < 2:
            raise CategorizeError("training needs past entries coded to at least two accounts; "
                                  f"found {len(set(accounts))}")
        features = feature_union()
        matrix = features.fit_transform(list(txns))
        model = LogisticRegression(C=_REGULARIZATION, max_iter=300, random_state=seed)
        model.fit(matrix, list(accounts))
        return cls(features, model, tuple(txns), tuple(accounts), seed,
                   _consistent_vendors(txns, parties),
                   TaxCodes.fit(matrix, accounts, tax_codes, seed))

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts the model knows."""
        return tuple(str(c) for c in self.model.classes_)

    def learn(self, txn: Transaction, account: str, tax_code: str | None = None) -> None:
        """Remember a correction: this merchant's transactions go to ``account`` from now on.

        A ``tax_code`` given is remembered too (``NONE``: no tax); without one the
        tax code is still predicted for the account.
        """
        key = merchant_key(txn)
        if not key:
            raise CategorizeError(f"transaction {txn.text!r} names no merchant to remember")
        self.memory[key] = account
        if tax_code is not None:
            self.tax_memory[key] = None if tax_code.upper() == "NONE" else tax_code

    def probabilities(self, txns: Sequence[Transaction]) -> np.ndarray:
        """The model's probability per account (columns in :attr:`accounts` order)."""
        return self.model.predict_proba(self.features.transform(list(txns)))

    def suggest(self, txns: Sequence[Transaction], *, top: int = 3,
                explain: bool = True) -> list[list[Suggestion]]:
        """The ``top`` accounts for each transaction, best first, with reasons."""
        if not txns:
            return []
        matrix = self.features.transform(list(txns))
        probs = self.model.predict_proba(matrix)
        tax_probs = self.taxes.probabilities(matrix)
        out = []
        for row, txn in enumerate(txns):
            order = np.argsort(-probs[row], kind="stable")[:top]
            vendor = self.vendors.get(merchant(txn))
            found = [Suggestion(self.accounts[k], round(float(probs[row, k]), 4), "model",
                                self._reasons(matrix[row], k) if explain else (), vendor)
                     for k in order]
            key = merchant_key(txn)
            remembered = self.memory.get(key)
            if remembered is not None:
                said = f'you coded a line from "{merchant(txn)}" of this size'
                found = [Suggestion(remembered, 1.0, "memory", (f"{said} to {remembered}",),
                                    vendor),
                         *[s for s in found if s.account != remembered]][:top]
            codes = None if tax_probs is None else tax_probs[row]
            found = [s.with_tax(self._tax(key, s.account, codes), explain) for s in found]
            out.append(found)
        return out

    def tax_for(self, txn: Transaction, account: str) -> TaxGuess:
        """The tax code ``txn`` takes when coded to ``account``."""
        matrix = self.features.transform([txn])
        codes = self.taxes.probabilities(matrix)
        return self._tax(merchant_key(txn), account, None if codes is None else codes[0])

    def _tax(self, key: str, account: str, codes: np.ndarray | None) -> TaxGuess:
        if key in self.tax_memory and self.memory.get(key) == account:
            code = self.tax_memory[key]
            return TaxGuess(code, 1.0, f"tax {code or 'none'}: you set it for this merchant")
        return self.taxes.guess(account, codes)

    def _reasons(self, row: sparse.csr_matrix, k: int) -> tuple[str, ...]:
        """Why class ``k``: its top text n-grams and other features, and nearest past entries."""
        if self._names is None:
            self._names = self.features.get_feature_names_out()
        coef = self.model.coef_
        # two accounts: one row of weights, for the second; the first's are their negation
        weights = coef[k] if len(coef) > 1 else (coef[0] if k == 1 else -coef[0])
        contrib = sorted(((row.data[i] * weights[j], str(self._names[j]))
                          for i, j in enumerate(row.indices)), reverse=True)
        grams: list[str] = []  # of 3+ letters, none inside another: "ttle" once, not "ttl"
        for v, n in contrib:
            g = n.partition("__")[2].strip()
            if (v > 0 and n.startswith("text__") and len(g.replace("#", "")) >= 3
                    and len(grams) < 3 and not any(g in kept for kept in grams)):
                grams.append(g)
        others = [_feature_label(n) for v, n in contrib if v > 0 and not n.startswith("text__")]
        terms = ([f"text {', '.join(repr(g) for g in grams)}"] if grams else []) + list(
            dict.fromkeys(others))[:2]
        reasons = [f"{'; '.join(terms)} point to it"] if terms else []
        reasons += [f"like {_describe(t)}" for t in self._nearest(row, self.accounts[k])]
        return tuple(reasons)

    def _nearest(self, row: sparse.csr_matrix, account: str, n: int = 2) -> list[Transaction]:
        """The ``n`` past transactions coded to ``account`` most like ``row`` (cosine)."""
        if self._history_matrix is None:
            self._history_matrix = sparse.csr_matrix(self.features.transform(list(self.history)))
        mine = np.flatnonzero(np.asarray(self.labels) == account)
        if not len(mine):
            return []
        scores = (self._history_matrix[mine] @ row.T).toarray().ravel()
        best = mine[np.argsort(-scores, kind="stable")[:n]]
        return [self.history[i] for i in best]

    def to_bytes(self) -> bytes:
        """Serialize with joblib; read back only from our own database."""
        buffer = io.BytesIO()
        joblib.dump((self.features, self.model, self.history, self.labels, self.seed,
                     self.vendors, self.memory, self.taxes, self.tax_memory), buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Categorizer:
        """Load what :meth:`to_bytes` wrote (trusted input: our own model table).

        Versions stored before tax codes were learned load with none.
        """
        features, model, history, labels, seed, vendors, memory, *taxed = joblib.load(
            io.BytesIO(blob))
        taxes, tax_memory = taxed or (None, {})
        made = cls(features, model, history, labels, seed, vendors, taxes)
        made.memory = dict(memory)
        made.tax_memory = dict(tax_memory)
        return made



def _consistent_vendors(txns: Sequence[Transaction],
                        parties: Sequence[str | None]) -> dict[str, str]:
    """Merchant words -> the one vendor all its past entries named (none if they differ)."""
    seen: dict[str, set[str | None]] = {}
    for txn, party in zip(txns, parties, strict=False):
        seen.setdefault(merchant(txn), set()).add(party)
    return {name: next(iter(names)) for name, names in seen.items()
            if name and len(names) == 1 and None not in names}
