"""Canonical documents for PayPal balance movements.

- a capture is a Payment (gross, PayPal's fee withheld, PayPal's exchange rate);
- a refund is a Refund whose negative fee is the part of the fee PayPal returned;
  it names its capture and waits for it (see :func:`documents_for`);
- a reversal or chargeback is a lost Dispute, with PayPal's dispute fee;
- a withdrawal to the bank is a Payout (clearing to transit), plus a Fee if one
  was charged on it; a fee on its own is a Fee.

Pending movements post nothing until they complete; denied and voided ones never.
"""

from __future__ import annotations

from ledgerbridge.connectors.paypal.movements import Movement
from ledgerbridge.documents import (
    Dispute,
    Document,
    Fee,
    Payment,
    PaymentApplication,
    Payout,
    Ref,
    Refund,
    Source,
)
from ledgerbridge.money import Money

__all__ = ["PROCESSOR", "documents_for"]

PROCESSOR = "paypal"
DISPUTE_FEE_CODES = frozenset({"T0106"})


def documents_for(movement: Movement, connection: str, *,
                  apply_invoices: bool = False) -> list[Document]:
    """The documents a movement posts; none while pending, void or balance-neutral."""
    if movement.state != "completed" or movement.kind == "neutral":
        return []
    m = movement
    source = Source(connection=connection, object_type=m.kind, external_id=m.id,
                    updated_at=m.updated)
    day = m.created.date()

    def money(minor: int) -> Money:
        return Money(minor, m.currency)

    if m.kind == "capture":
        applications = ()
        if apply_invoices and m.invoice_id:
            applications = (PaymentApplication(document=Ref(external_id=m.invoice_id),
                                               amount=money(m.gross)),)
        return [Payment(source=source, date=day, amount=money(m.gross), fee=money(m.fee),
                        currency=m.currency, exchange_rate=m.rate, method="paypal",
                        processor=PROCESSOR, reference=m.id, applications=applications)]
    if m.kind == "refund":
        # No processor on purpose: posting then looks the capture's payment up, so a
        # refund that arrives first waits for it, and the money leaves the way it came.
        return [Refund(source=source, date=day, amount=money(m.gross), fee=money(m.fee),
                       currency=m.currency, exchange_rate=m.rate, method="paypal",
                       payment=Ref(external_id=m.capture) if m.capture else None)]
    if m.kind == "reversal":
        return [Dispute(source=source, payment=Ref(external_id=m.capture or m.id),
                        opened_date=day, amount=money(m.gross), fee=money(m.fee),
                        currency=m.currency, status="lost", processor=PROCESSOR)]
    if m.kind == "withdrawal":
        payout = Payout(source=source, processor=PROCESSOR, date=day, currency=m.currency,
                        gross=money(m.gross + m.fee), fees=money(m.fee), net=money(m.gross),
                        status="paid")
        if not m.fee:
            return [payout]
        fee_source = source.model_copy(update={"object_type": "withdrawal_fee"})
        return [payout, Fee(source=fee_source, kind="payout", date=day, amount=money(m.fee),
                            currency=m.currency, processor=PROCESSOR,
                            related=Ref(external_id=m.id))]
    return [Fee(source=source, kind="dispute" if m.code in DISPUTE_FEE_CODES else "processing",
                date=day, amount=money(m.gross), currency=m.currency, processor=PROCESSOR,
                description=f"PayPal fee {m.code}" if m.code else None)]
