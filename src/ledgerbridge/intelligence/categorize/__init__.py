"""Categorization: code bank and card lines to accounts, learned from the ledger's history."""

from ledgerbridge.intelligence.categorize.features import Transaction
from ledgerbridge.intelligence.categorize.model import CategorizeError, Categorizer, Suggestion

__all__ = ["CategorizeError", "Categorizer", "Suggestion", "Transaction"]
