"""Stripe: charges, refunds, disputes, payouts and fees posted from balance transactions.

Webhooks are verified with ``Stripe-Signature``; the ``balance_transactions``,
``charges``, ``refunds``, ``disputes`` and ``payouts`` streams are read incrementally.
``emulator`` serves a local Stripe API for tests and the sandbox.
"""

from ledgerbridge.connectors.stripe.connector import StripeConnector, StripeSettings
from ledgerbridge.connectors.stripe.mapping import SALES_MAPPING
from ledgerbridge.connectors.stripe.signature import sign

__all__ = ["SALES_MAPPING", "StripeConnector", "StripeSettings", "sign"]
