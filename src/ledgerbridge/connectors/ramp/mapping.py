"""The mapping a Ramp connection starts from, over the built-in defaults.

A paid reimbursement is a Payment sent to the employee that pays no bill; the
defaults would book such money as a prepayment to a vendor (1300). This rule books it
against reimbursements owed (2350, the ``reimbursements`` role of the defaults), so
the employee's balance there comes back to zero. A connection that moves the
``reimbursements`` role elsewhere moves this rule's account with it.
"""

__all__ = ["RAMP_MAPPING"]

RAMP_MAPPING = """\
rules:
  - name: Ramp reimbursements paid clear what is owed to the employee
    when: {type: payment, source.object_type: reimbursement_payment}
    accounts: {vendor_prepayments: "2350"}
"""
