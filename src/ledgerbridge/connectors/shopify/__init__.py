"""The ``shopify`` connector: a shop's orders, refunds and Shopify Payments payouts.

Orders post revenue (by product or channel through account hints), discounts,
shipping, tax per jurisdiction and gift cards, in the shop currency; refunds post
credit notes and the money returned; payouts move clearing to funds in transit.
Webhooks are verified with the app secret; polling pages along the Link header.
``connectors/shopify/emulator.py`` is a local Admin API for tests and the sandbox.
"""

from ledgerbridge.connectors.shopify.connector import ShopifyConnector, ShopifySettings

__all__ = ["ShopifyConnector", "ShopifySettings"]
