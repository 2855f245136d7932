"""ledgerbridge: an accounting integration hub built on a double-entry ledger."""
