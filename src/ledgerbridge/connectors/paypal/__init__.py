"""The ``paypal`` connector: PayPal REST payments into the ledger.

Webhooks (``PAYMENT.CAPTURE.*``) arrive at the gateway and are verified by
PayPal's verify-webhook-signature call; the ``transactions`` stream polls
Transaction Search in windows of at most 31 days. Both paths read a capture,
refund, reversal, fee or bank withdrawal into the same canonical document, so
the ledger posts each once. ``connectors/paypal/emulator.py`` serves a local
PayPal for tests and ``ledgerbridge sandbox paypal``.
"""

from ledgerbridge.connectors.paypal.connector import PayPalConnector, PayPalSettings

__all__ = ["PayPalConnector", "PayPalSettings"]
