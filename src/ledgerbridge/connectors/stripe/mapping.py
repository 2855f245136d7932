"""The mapping a Stripe connection starts from, over the built-in defaults.

The defaults send the unapplied part of any payment to customer deposits (2400): right
for a partial payment of an invoice, wrong for a card sale that pays no invoice at all.
This rule books such a charge as revenue (4010). Every Stripe connection starts from
it (``StripeConnector.default_mapping``); a connection's own mapping can override it.
"""

__all__ = ["SALES_MAPPING"]

SALES_MAPPING = """\
rules:
  - name: Stripe charges that pay no invoice are sales
    when: {type: payment, processor: stripe, applications.0: null}
    accounts: {customer_deposits: "4010"}
"""
