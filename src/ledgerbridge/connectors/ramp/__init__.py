"""Ramp: company cards and employee reimbursements, with receipts matched to card lines."""

from ledgerbridge.connectors.ramp.connector import STREAMS, RampConnector, RampSettings

__all__ = ["STREAMS", "RampConnector", "RampSettings"]
