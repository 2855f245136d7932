"""Learning the tax code that goes with an account, from past lines that carry one.

Two sources, combined: each account's own distribution of tax codes in the history
(an account that always took one code gets it with confidence 1), and a second
linear model over the same features as the account model, predicting the code (or
no code) of a transaction. For an account that took several codes, the model's
probabilities are kept for those codes only and renormalized: the model picks
among what the account has seen. ``bench/categorize_bench.py`` measures the
combination against each source alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

__all__ = ["NO_TAX", "TaxCodes", "TaxGuess"]

NO_TAX = ""  # the label of "no tax code" in the distributions and the model
_REGULARIZATION = 20.0  # as the account model: the same wide, sparse features


@dataclass(frozen=True, slots=True)
class TaxGuess:
    """A tax code proposed for an account: the code (None: no tax), confidence, why."""

    code: str | None
    confidence: float
    reason: str


@dataclass(frozen=True, slots=True)
class TaxCodes:
    """What the history says of tax codes: per account counts, and the code model.

    Attributes:
        by_account: account -> tax code (``NO_TAX`` for none) -> past lines.
        model: a logistic regression over the account model's features, or None
            when the history holds fewer than two codes (none counts as one).

    """

    by_account: dict[str, dict[str, int]]
    model: LogisticRegression | None

    @classmethod
    def fit(cls, matrix: sparse.spmatrix, accounts: Sequence[str],
            codes: Sequence[str | None], seed: int) -> TaxCodes:
        """Count each account's codes and fit the code model on ``matrix`` (one row a line)."""
        labels = [code or NO_TAX for code in codes] if codes else [NO_TAX] * len(accounts)
        by_account: dict[str, Counter[str]] = {}
        for account, label in zip(accounts, labels, strict=True):
            by_account.setdefault(account, Counter())[label] += 1
        model = None
        if len(set(labels)) > 1:
            model = LogisticRegression(C=_REGULARIZATION, max_iter=300, random_state=seed)
            model.fit(matrix, labels)
        return cls({a: dict(sorted(c.items())) for a, c in by_account.items()}, model)

    def probabilities(self, matrix: sparse.spmatrix) -> np.ndarray | None:
        """The code model's probabilities per line (columns: ``model.classes_``), if any."""
        return None if self.model is None else self.model.predict_proba(matrix)

    @property
    def learned(self) -> bool:
        """Whether any past line carried a tax code."""
        return any(label != NO_TAX for seen in self.by_account.values() for label in seen)

    def guess(self, account: str, probs: np.ndarray | None) -> TaxGuess:
        """The tax code for a line coded to ``account``, given its code probabilities.

        Without any tax code in the history: no code, sure, and no reason to give.
        """
        if not self.learned:
            return TaxGuess(None, 1.0, "")
        seen = self.by_account.get(account, {})
        if len(seen) == 1 or (seen and probs is None):
            label, count = max(seen.items(), key=lambda kv: (kv[1], kv[0]))
            share = count / sum(seen.values())
            said = _said(label)
            reason = (f"tax {said}: all {count} past lines of {account}" if share == 1 else
                      f"tax {said}: {count} of {sum(seen.values())} past lines of {account}")
            return TaxGuess(label or None, round(share, 4), reason)
        if probs is None or self.model is None:
            return TaxGuess(None, 0.0, f"tax: no past line of {account}")
        classes = [str(c) for c in self.model.classes_]
        allowed = np.array([c in seen for c in classes]) if seen else np.ones(len(classes), bool)
        kept = np.where(allowed, probs, 0.0)
        total = float(kept.sum())
        if total <= 0:
            kept, total = probs, float(probs.sum())
        best = int(np.argmax(kept))
        confidence = round(float(kept[best]) / total, 4)
        label = classes[best]
        among = f"among the {len(seen)} codes {account} took" if seen else "from past lines"
        return TaxGuess(label or None, confidence,
                        f"tax {_said(label)} {confidence:.0%} {among}")


def _said(label: str) -> str:
    return label if label else "none"
