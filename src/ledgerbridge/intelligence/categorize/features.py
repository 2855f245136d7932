"""What the categorizer sees of a transaction, and how it turns into features.

A :class:`Transaction` is a bank line, a card transaction or a bill line reduced to
what predicts its account: its text, its counterparty, its signed amount, its
merchant category code, the bank's transaction code and its date. Features are
character n-grams of the normalized text, the counterparty's words, and a few
categorical facts (direction, amount size on a log scale, the exact amount, MCC,
transaction code and its family, a feed's category, weekday, month).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer

__all__ = ["Transaction", "feature_union", "merchant", "merchant_key", "normalize",
           "transaction_code", "words"]

_DIGITS = re.compile(r"\d+")
_NOISE = re.compile(r"[^a-z#& ]+")
_SPACES = re.compile(r" {2,}")
_MT940_TYPE = re.compile(r"[NFS][A-Z0-9]{3}")  # N = non-SWIFT, F = first advice, S = SWIFT
# Words that name the payment channel rather than the merchant.
_CHANNEL = frozenset({"pos", "card", "debit", "credit", "purchase", "payment", "sq", "tst",
                      "paypal", "ach", "dd", "sepa", "ref", "www", "com", "inc", "llc", "ltd"})


@dataclass(frozen=True, slots=True)
class Transaction:
    """One thing to code to an account.

    Attributes:
        text: the description as the bank or card issuer printed it.
        counterparty: the other party's name, when the source gives one.
        amount: signed integer minor units; money out is negative.
        currency: ISO 4217 code of ``amount``.
        date: booking date.
        mcc: the card network's merchant category code, when known.
        code: the bank's transaction code as given (camt ``PMNT/RCDT/ESCT``, BAI2
            ``475``, MT940 ``NTRF``, OFX ``POS``), when known.
        category: a feed's own category of the line (Plaid's detailed category).

    """

    text: str
    counterparty: str | None
    amount: int
    currency: str
    date: dt.date
    mcc: str | None = None
    code: str | None = None
    category: str | None = None


def normalize(text: str | None) -> str:
    """Lower case, digit runs as ``#``, punctuation as spaces, spaces collapsed."""
    if not text:
        return ""
    folded = _DIGITS.sub("#", text.casefold())
    return _SPACES.sub(" ", _NOISE.sub(" ", folded)).strip()


def words(text: str | None) -> list[str]:
    """The merchant words of a text: normalized, no numbers, no payment-channel words."""
    return [w for w in normalize(text).replace("#", " ").split()
            if len(w) > 1 and w not in _CHANNEL]


def merchant(txn: Transaction) -> str:
    """Who was paid or paid us: the counterparty's words, else the text's."""
    return " ".join(words(txn.counterparty) or words(txn.text))


def merchant_key(txn: Transaction) -> str:
    """The merchant and the size of the amount: one vendor may book large and small apart.

    The size is the amount's bit length (a base-2 logarithm) with its sign. Empty
    when the transaction names no merchant.
    """
    name = merchant(txn)
    return f"{name} {_size(txn.amount)}" if name else ""


def _size(amount: int) -> str:
    return f"{'+' if amount > 0 else '-'}{abs(amount).bit_length()}"


def transaction_code(code: str | None) -> tuple[str, str]:
    """A bank's transaction code, normalized, and its family.

    camt ``PMNT/RCDT/ESCT`` is in family ``PMNT/RCDT``; a BAI2 type code (three
    digits) is ``BAI2 475`` in family ``BAI2 47x``; an MT940 type ``NTRF`` is ``TRF``
    (the N/F/S prefix says how the bank sent it, not what it was); other codes
    (OFX ``TRNTYPE``, a feed's kind) are their own family. ``("none", "none")`` without one.
    """
    text = (code or "").strip().upper()
    if not text:
        return "none", "none"
    if "/" in text:
        return text, "/".join(text.split("/")[:2])
    if text.isdigit() and len(text) == 3:
        return f"BAI2 {text}", f"BAI2 {text[:2]}x"
    if _MT940_TYPE.fullmatch(text):
        return text[1:], text[1:]
    return text, text


def _texts(txns: Sequence[Transaction]) -> list[str]:
    return [normalize(f"{t.counterparty or ''} {t.text}") for t in txns]


def _parties(txns: Sequence[Transaction]) -> list[str]:
    return [merchant(t) for t in txns]


def _facts(txns: Sequence[Transaction]) -> list[dict[str, str]]:
    """Categorical facts; the amount's size is its bit length (a base-2 logarithm)."""
    return [{
        "sign": "in" if t.amount > 0 else "out",
        "size": _size(t.amount),
        "amount": str(t.amount),
        "mcc": t.mcc or "none",
        **dict(zip(("code", "code family"), transaction_code(t.code), strict=True)),
        "category": t.category or "none",
        "weekday": str(t.date.weekday()),
        "month": str(t.date.month),
    } for t in txns]


def _no_names(transformer: FunctionTransformer, names: object) -> list[str]:
    """A selector step names no features: the vectorizer after it does."""
    return []


def _step(select: Callable[[Sequence[Transaction]], list]) -> FunctionTransformer:
    return FunctionTransformer(select, feature_names_out=_no_names)


def feature_union() -> FeatureUnion:
    """The feature extractor: a list of transactions in, one sparse matrix out."""
    return FeatureUnion([
        ("text", make_pipeline(_step(_texts),
                               TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
                                               sublinear_tf=True))),
        ("party", make_pipeline(_step(_parties),
                                TfidfVectorizer(analyzer="word", token_pattern=r"\S+",
                                                ngram_range=(1, 2), sublinear_tf=True))),
        ("facts", make_pipeline(_step(_facts), DictVectorizer())),
    ])
