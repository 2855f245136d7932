"""Gusto: processed payrolls by department, their tax debits and accruals; reversals."""

from ledgerbridge.connectors.gusto.connector import GustoConnector, GustoSettings

__all__ = ["GustoConnector", "GustoSettings"]
