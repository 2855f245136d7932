"""Exports of the journal that plain-text accounting tools read: beancount, hledger."""

from ledgerbridge.ledger.exports.beancount import write_beancount
from ledgerbridge.ledger.exports.hledger import write_hledger

__all__ = ["write_beancount", "write_hledger"]
