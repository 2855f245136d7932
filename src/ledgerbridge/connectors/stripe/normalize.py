"""Stripe objects -> canonical documents, with the money taken from balance transactions.

The balance transaction is the authority on what reached the Stripe balance: its
amount and fee are in the settlement currency, and its ``exchange_rate`` is the rate
Stripe converted a foreign charge at.

- A charge is a Payment (gross, card, processor "stripe"), applied to the invoice its
  metadata names, else unapplied. In the settlement currency the fee is the
  payment's own; for a charge in another currency the payment keeps the charge's
  currency at the balance transaction's rate and the fee, charged in the settlement
  currency, is a Fee document of its own (related to the payment).
- A refund is a Refund naming its charge, with the fee effect of its balance
  transaction. ``processor`` is left unset so the posting rules return the money the
  way the payment came and wait for the payment if it has not been seen yet.
- A dispute is a Dispute in the settlement currency: the withdrawn amount and the
  dispute fee net of any fee returned; status open, won or lost.
- A payout is a Payout carrying the balance transactions it settled; a failed or
  canceled one posts nothing (and reverses what an earlier state posted).
- A balance transaction of Stripe's own fees (billing, Radar ...) is a Fee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from ledgerbridge.connectors.stripe.amounts import to_money
from ledgerbridge.documents import (
    BalanceTransaction,
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

__all__ = ["Fetch", "Normalizer"]

Obj = dict[str, Any]
PROCESSOR = "stripe"
FEE_TYPES = frozenset({"stripe_fee", "tax_fee", "stripe_fx_fee"})
PAYOUT_RANK = {"pending": "1", "in_transit": "2", "paid": "3", "failed": "3", "canceled": "3"}
KINDS = {"charge": "payment", "payment": "payment", "refund": "refund",
         "payment_refund": "refund", "adjustment": "dispute", "transfer": "transfer",
         **dict.fromkeys(FEE_TYPES, "fee")}


class Fetch(Protocol):
    """What normalizing may need to read back from Stripe."""

    def retrieve(self, resource: str, object_id: str) -> Obj:
        """One object by id."""

    def payout_transactions(self, payout_id: str) -> list[Obj]:
        """The balance transactions a payout settled."""


def _date(stamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).date()


def _rate(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _id(value: Any) -> str | None:
    """The id of an expandable field, expanded or not."""
    return value.get("id") if isinstance(value, dict) else value


@dataclass(frozen=True, slots=True)
class Normalizer:
    """Turns Stripe objects of one connection into documents."""

    connection: str
    fetch: Fetch
    invoice_key: str = "invoice"

    def documents(self, obj: Obj) -> list[Document]:
        """The documents an object (or the object of an event) stands for."""
        if obj.get("object") == "event":
            obj = obj["data"]["object"]
        builders: dict[str, Callable[[Obj], list[Document]]] = {
            "charge": self._charge, "refund": self._refund, "dispute": self._dispute,
            "payout": self._payout, "balance_transaction": self._balance_transaction}
        build = builders.get(obj.get("object", ""))
        return [] if build is None else build(obj)

    # -- helpers -------------------------------------------------------------------

    def _source(self, obj: Obj, version: str | None = None) -> Source:
        return Source(connection=self.connection, object_type=obj["object"],
                      external_id=obj["id"], version=version)

    def _expanded(self, value: Any, resource: str) -> Obj:
        return value if isinstance(value, dict) else self.fetch.retrieve(resource, value)

    def _split_fee(self, amount: Money, txn: Obj, related: str) -> tuple[Money | None,
                                                                         list[Document]]:
        """The fee as the document's own (same currency) or as a Fee document."""
        fee = to_money(txn["fee"], txn["currency"])
        if fee.currency == amount.currency:
            return fee, []
        if fee.minor == 0:
            return None, []
        return None, [Fee(source=self._source(txn), kind="processing", date=_date(txn["created"]),
                          amount=fee, currency=fee.currency, processor=PROCESSOR,
                          related=Ref(external_id=related),
                          description=f"Stripe fee on {related}")]

    @staticmethod
    def _foreign_rate(amount: Money, txn: Obj) -> Decimal | None:
        return None if amount.currency == txn["currency"].upper() else _rate(txn["exchange_rate"])

    # -- one builder per Stripe object ----------------------------------------------------

    def _charge(self, charge: Obj, txn: Obj | None = None) -> list[Document]:
        """The payment (and, read from the charge itself, the refunds listed on it)."""
        if charge["status"] != "succeeded" or not charge.get("captured", True) \
                or charge.get("balance_transaction") is None:
            return []
        txn_given = txn is not None
        txn = txn or self._expanded(charge["balance_transaction"], "balance_transactions")
        gross = to_money(charge.get("amount_captured") or charge["amount"], charge["currency"])
        fee, extra = self._split_fee(gross, txn, charge["id"])
        invoice = (charge.get("metadata") or {}).get(self.invoice_key)
        applications = () if not invoice else (
            PaymentApplication(document=Ref(external_id=invoice), amount=gross),)
        name = (charge.get("billing_details") or {}).get("name")
        customer = _id(charge.get("customer"))
        payment = Payment(
            source=self._source(charge), date=_date(charge["created"]), amount=gross,
            currency=gross.currency, exchange_rate=self._foreign_rate(gross, txn),
            method="card", applications=applications, fee=fee, processor=PROCESSOR,
            contact=Ref(external_id=customer, name=name) if customer else None,
            reference=charge["id"], memo=charge.get("description"),
        )
        refunds = [] if txn_given else (charge.get("refunds") or {}).get("data") or []
        return [payment, *extra, *(d for r in refunds for d in self._refund(r))]

    def _refund(self, refund: Obj, txn: Obj | None = None) -> list[Document]:
        if refund["status"] not in ("succeeded", "pending") \
                or refund.get("balance_transaction") is None:
            return []
        txn = txn or self._expanded(refund["balance_transaction"], "balance_transactions")
        amount = to_money(refund["amount"], refund["currency"])
        fee, extra = self._split_fee(amount, txn, refund["id"])
        customer = _id(refund.get("customer"))
        return [Refund(
            source=self._source(refund), date=_date(refund["created"]), amount=amount,
            currency=amount.currency, exchange_rate=self._foreign_rate(amount, txn),
            method="card", payment=Ref(external_id=_id(refund["charge"])),
            fee=fee if fee is None or fee.minor else None, reason=refund.get("reason"),
            contact=Ref(external_id=customer) if customer else None,
        ), *extra]

    def _dispute(self, dispute: Obj) -> list[Document]:
        txns = [self._expanded(t, "balance_transactions")
                for t in dispute.get("balance_transactions") or []]
        if not txns:
            return []  # an inquiry: no money has moved
        first = txns[0]
        status = {"won": "won", "lost": "lost", "warning_closed": "won"}.get(
            dispute["status"], "open")
        fees = sum(t["fee"] for t in txns)
        return [Dispute(
            source=self._source(dispute, "2" if status != "open" else "1"),
            payment=Ref(external_id=_id(dispute["charge"])),
            opened_date=_date(dispute["created"]),
            amount=to_money(-first["amount"], first["currency"]),
            currency=first["currency"].upper(),
            fee=to_money(max(fees, 0), first["currency"]), status=status,
            reason=dispute.get("reason"), processor=PROCESSOR,
        )]

    def _payout(self, payout: Obj) -> list[Document]:
        status = payout["status"]
        net = to_money(payout["amount"], payout["currency"])
        settled: tuple[BalanceTransaction, ...] = ()
        if status not in ("failed", "canceled"):
            settled = tuple(_settled(t, net.currency, payout["id"])
                            for t in self.fetch.payout_transactions(payout["id"])
                            if _id(t.get("source")) != payout["id"])
        gross = Money(sum(t.gross.minor for t in settled), net.currency) if settled else net
        fees = Money(sum(t.fee.minor for t in settled), net.currency)
        document = Payout(
            source=self._source(payout, PAYOUT_RANK.get(status, "1")), processor=PROCESSOR,
            date=_date(payout["created"]),
            arrival_date=_date(payout["arrival_date"]) if payout.get("arrival_date") else None,
            status=status, currency=net.currency, gross=gross, fees=fees, net=net,
            destination=_id(payout.get("destination")),
        )
        # validated above without its (thousands of) transactions, each built checked
        return [document.model_copy(update={"balance_transactions": settled})]

    def _balance_transaction(self, txn: Obj) -> list[Document]:
        kind, source = txn["type"], txn.get("source")
        if kind in FEE_TYPES:
            cost = to_money(-txn["net"], txn["currency"])
            return [Fee(source=self._source(txn), kind="other", date=_date(txn["created"]),
                        amount=cost, currency=cost.currency, processor=PROCESSOR,
                        description=txn.get("description"))]
        builders = {"charge": ("charges", self._charge), "payment": ("charges", self._charge),
                    "refund": ("refunds", self._refund),
                    "payment_refund": ("refunds", self._refund)}
        if kind in builders and source is not None:
            resource, build = builders[kind]
            return build(self._expanded(source, resource), txn)
        if kind == "adjustment" and str(_id(source) or "").startswith(("dp_", "du_")):
            return self._dispute(self._expanded(source, "disputes"))
        if kind == "payout" and source is not None:
            return self._payout(self._expanded(source, "payouts"))
        return []


def _settled(txn: Obj, currency: str, payout_id: str) -> BalanceTransaction:
    """One balance transaction a payout settled, for reconciliation.

    A payout settles thousands: the model is built without pydantic's validation,
    whose checks (one currency, net = gross - fee) hold here by construction.
    """
    gross, fee = to_money(txn["amount"], txn["currency"]), to_money(txn["fee"], txn["currency"])
    if gross.currency != currency:
        raise ValueError(f"payout {payout_id} in {currency} settles {txn['id']} "
                         f"in {gross.currency}")
    source = _id(txn.get("source"))
    return BalanceTransaction.model_construct(
        external_id=txn["id"], kind=KINDS.get(txn["type"], "other"),
        created=dt.datetime.fromtimestamp(txn["created"], dt.UTC), gross=gross, fee=fee,
        net=gross - fee, related=Ref(external_id=source or txn["id"]),
        description=txn.get("description"),
    )
