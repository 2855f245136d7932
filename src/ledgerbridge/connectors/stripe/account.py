"""The emulated Stripe account behind the emulator: objects, balance and money movements.

Objects are kept as the JSON dicts Stripe would send (shapes as in Stripe's own
fixtures), each kind in creation order so lists can page by position. Every money
movement writes a balance transaction in the settlement currency, with Stripe's fee
(``percent_bp`` basis points plus a fixed part) and, for a charge in another
currency, the ``exchange_rate`` used. Payouts sweep the balance transactions not yet
paid out. Changes are reported through ``on_event`` as Stripe events.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.stripe.amounts import from_money, to_money
from ledgerbridge.money import Money, convert

__all__ = ["Account", "Pricing", "StripeError"]

Obj = dict[str, Any]

DEFAULT_RATES = {"eur": Decimal("1.085"), "gbp": Decimal("1.27"), "jpy": Decimal("0.0067"),
                 "cad": Decimal("0.74"), "chf": Decimal("1.13")}
PREFIXES = {"charge": "ch", "refund": "re", "balance_transaction": "txn", "dispute": "dp",
            "payout": "po", "payment_intent": "pi", "event": "evt"}
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CARD = {"card": {"brand": "visa", "country": "US", "exp_month": 8, "exp_year": 2030,
                  "funding": "credit", "last4": "4242", "network": "visa"}, "type": "card"}
_OUTCOME = {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
            "seller_message": "Payment complete.", "type": "authorized"}
_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None,
            "state": None}


class StripeError(Exception):
    """An API error as Stripe reports it: HTTP status, type, code, message and param."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = (
            status, message, type_, code, param)

    def body(self) -> Obj:
        """The JSON error body."""
        return {"error": {"type": self.type, "code": self.code, "message": self.message,
                          "param": self.param}}


@dataclass(frozen=True, slots=True)
class Pricing:
    """Stripe's fees: ``percent_bp`` basis points of the settled amount plus ``fixed``."""

    percent_bp: int = 290
    fixed: int = 30
    dispute_fee: int = 1500

    def fee(self, settled: int) -> int:
        """The processing fee on a settled amount, in settlement minor units."""
        if settled <= 0 or (self.percent_bp == 0 and self.fixed == 0):
            return 0
        return (settled * self.percent_bp + 5000) // 10000 + self.fixed


@dataclass
class _Kind:
    """One kind of object in creation order, with a position index for paging."""

    items: list[Obj] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)

    def add(self, obj: Obj) -> None:
        self.position[obj["id"]] = len(self.items)
        self.items.append(obj)
        self.created.append(obj["created"])


class Account:
    """One Stripe account: its objects, pricing, exchange rates and event log."""

    def __init__(self, *, seed: int = 0, settlement: str = "usd",
                 pricing: Pricing | None = None, rates: dict[str, Decimal] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settlement = settlement
        self.pricing = pricing or Pricing()
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.on_event: Callable[[Obj], None] | None = None
        self._clock = clock
        self._last = 0
        self._rng = random.Random(seed)
        self._kinds: dict[str, _Kind] = {kind: _Kind() for kind in PREFIXES}
        self._objects: dict[str, Obj] = {}
        self._unswept: list[str] = []
        self._payout_txns: dict[str, list[str]] = {}
        self._recording = True

    # -- storage ----------------------------------------------------------------------

    def now(self) -> int:
        """The creation time of the next object: never earlier than the last one."""
        self._last = max(self._last, int(self._clock()))
        return self._last

    def _new_id(self, kind: str) -> str:
        token = "".join(self._rng.choices(_ALPHABET, k=14))
        return f"{PREFIXES[kind]}_{token}{len(self._objects):010d}"

    def _store(self, obj: Obj) -> Obj:
        self._objects[obj["id"]] = obj
        self._kinds[obj["object"]].add(obj)
        return obj

    def get(self, kind: str, object_id: str) -> Obj:
        """The object of ``kind`` called ``object_id``, or a 404 StripeError."""
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing",
                              param="id")
        return obj

    def find(self, object_id: str) -> Obj | None:
        """Any object by id (for expansion), or None."""
        return self._objects.get(object_id)

    def sequence(self, kind: str) -> tuple[list[Obj], list[int], dict[str, int]]:
        """Objects of ``kind`` oldest first, their creation times and positions by id."""
        found = self._kinds[kind]
        return found.items, found.created, found.position

    def payout_transactions(self, payout_id: str) -> list[Obj]:
        """The balance transactions a payout settled, oldest first."""
        self.get("payout", payout_id)
        return [self._objects[t] for t in self._payout_txns.get(payout_id, [])]

    def _emit(self, type_: str, obj: Obj) -> None:
        if not self._recording:
            return
        event = self._store({
            "id": self._new_id("event"), "object": "event", "api_version": "2024-06-20",
            "created": self.now(), "data": {"object": _snapshot(obj)}, "livemode": False,
            "pending_webhooks": 1 if self.on_event else 0,
            "request": {"id": None, "idempotency_key": None}, "type": type_,
        })
        if self.on_event is not None:
            self.on_event(event)

    # -- money movements ------------------------------------------------------------------

    def _settle(self, amount: int, currency: str) -> tuple[int, Decimal | None]:
        """An amount in a charge currency as settlement minor units, with the rate used."""
        if currency == self.settlement:
            return amount, None
        rate = self.rates.get(currency)
        if rate is None:
            raise StripeError(400, f"Invalid currency: {currency}.", param="currency",
                              code="parameter_invalid_string")
        money = to_money(amount, currency)
        settled = convert(money.minor, money.currency, rate, self.settlement.upper())
        return from_money(Money(settled, self.settlement.upper())), rate

    def _transaction(self, *, type_: str, category: str, amount: int, fee: int, source: str | None,
                     rate: Decimal | None, description: str | None,
                     fee_description: str = "Stripe processing fees") -> Obj:
        created = self.now()
        details = [] if fee == 0 else [{"amount": fee, "application": None,
                                        "currency": self.settlement,
                                        "description": fee_description, "type": "stripe_fee"}]
        txn = self._store({
            "id": self._new_id("balance_transaction"), "object": "balance_transaction",
            "amount": amount, "available_on": created, "balance_type": "payments",
            "created": created, "currency": self.settlement, "description": description,
            "exchange_rate": rate, "fee": fee, "fee_details": details, "net": amount - fee,
            "reporting_category": category, "source": source, "status": "available",
            "type": type_,
        })
        if type_ != "payout":
            self._unswept.append(txn["id"])
        return txn

    def create_charge(self, amount: int, currency: str, *, description: str | None = None,
                      metadata: dict[str, str] | None = None, customer: str | None = None,
                      payment_intent: str | None = None, name: str | None = None) -> Obj:
        """A succeeded, captured card charge and its balance transaction."""
        currency = currency.lower()
        if amount <= 0:
            raise StripeError(400, "This value must be greater than or equal to 1.",
                              param="amount", code="parameter_invalid_integer")
        settled, rate = self._settle(amount, currency)
        charge_id = self._new_id("charge")
        txn = self._transaction(type_="charge", category="charge", amount=settled,
                                fee=self.pricing.fee(settled), source=charge_id, rate=rate,
                                description=description)
        charge = self._store({
            "id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": 0, "application": None, "application_fee": None,
            "application_fee_amount": None, "balance_transaction": txn["id"],
            "billing_details": {"address": _ADDRESS, "email": None, "name": name,
                                "phone": None, "tax_id": None},
            "calculated_statement_descriptor": "LEDGERBRIDGE", "captured": True,
            "created": txn["created"], "currency": currency, "customer": customer,
            "description": description, "disputed": False, "failure_balance_transaction": None,
            "failure_code": None, "failure_message": None, "fraud_details": {},
            "livemode": False, "metadata": dict(metadata or {}), "on_behalf_of": None,
            "outcome": _OUTCOME, "paid": True, "payment_intent": payment_intent,
            "payment_method": f"pm_{charge_id[3:]}", "payment_method_details": _CARD,
            "receipt_email": None, "receipt_number": None,
            "receipt_url": f"https://pay.stripe.com/receipts/{charge_id}", "refunded": False,
            "refunds": {"object": "list", "data": [], "has_more": False,
                        "url": f"/v1/charges/{charge_id}/refunds"},
            "review": None, "shipping": None, "source": None, "source_transfer": None,
            "statement_descriptor": None, "statement_descriptor_suffix": None,
            "status": "succeeded", "transfer_data": None, "transfer_group": None,
        })
        self._emit("charge.succeeded", charge)
        return charge

    def create_payment_intent(self, amount: int, currency: str, *, confirm: bool,
                              metadata: dict[str, str] | None = None,
                              description: str | None = None,
                              customer: str | None = None) -> Obj:
        """A payment intent; confirmed, it succeeds at once with one charge."""
        intent = self._store({
            "id": self._new_id("payment_intent"), "object": "payment_intent", "amount": amount,
            "amount_capturable": 0, "amount_details": {"tip": {}}, "amount_received": 0,
            "application": None, "application_fee_amount": None,
            "automatic_payment_methods": {"enabled": True}, "canceled_at": None,
            "cancellation_reason": None, "capture_method": "automatic", "client_secret": "",
            "confirmation_method": "automatic", "created": self.now(),
            "currency": currency.lower(), "customer": customer, "customer_account": None,
            "description": description,
            "excluded_payment_method_types": None, "last_payment_error": None,
            "latest_charge": None, "livemode": False, "managed_payments": {"enabled": False},
            "metadata": dict(metadata or {}), "next_action": None, "on_behalf_of": None,
            "payment_method": None,
            "payment_method_configuration_details": None, "payment_method_options": {},
            "payment_method_types": ["card"], "processing": None, "receipt_email": None,
            "review": None, "setup_future_usage": None, "shipping": None, "source": None,
            "statement_descriptor": None, "statement_descriptor_suffix": None,
            "status": "requires_payment_method", "transfer_data": None, "transfer_group": None,
        })
        intent["client_secret"] = f"{intent['id']}_secret_{intent['id'][3:17]}"
        return self.confirm_payment_intent(intent["id"]) if confirm else intent

    def confirm_payment_intent(self, intent_id: str) -> Obj:
        """Confirm a payment intent with a test card: it succeeds with one charge."""
        intent = self.get("payment_intent", intent_id)
        if intent["status"] == "succeeded":
            raise StripeError(400, "This PaymentIntent has already succeeded.",
                              code="payment_intent_unexpected_state")
        charge = self.create_charge(intent["amount"], intent["currency"],
                                    description=intent["description"],
                                    metadata=intent["metadata"], customer=intent["customer"],
                                    payment_intent=intent_id)
        intent.update(status="succeeded", amount_received=intent["amount"],
                      latest_charge=charge["id"], payment_method=charge["payment_method"])
        self._emit("payment_intent.succeeded", intent)
        return intent

    def charge_of_intent(self, intent_id: str) -> str:
        """The charge of a succeeded payment intent."""
        charge_id = self.get("payment_intent", intent_id)["latest_charge"]
        if charge_id is None:
            raise StripeError(400, f"PaymentIntent {intent_id} has no successful charge.",
                              code="payment_intent_unexpected_state", param="payment_intent")
        return charge_id

    def create_refund(self, charge_id: str, amount: int | None = None, *,
                      reason: str | None = None, metadata: dict[str, str] | None = None) -> Obj:
        """Refund all that is left of a charge, or ``amount`` of it; fees are not returned."""
        charge = self.get("charge", charge_id)
        left = charge["amount"] - charge["amount_refunded"]
        if left == 0:
            raise StripeError(400, f"Charge {charge_id} has already been refunded.",
                              code="charge_already_refunded")
        amount = left if amount is None else amount
        if not 0 < amount <= left:
            raise StripeError(400, f"Refund amount ({amount}) is greater than unrefunded "
                              f"amount on charge ({left})", code="amount_too_large",
                              param="amount")
        settled, rate = self._settle(amount, charge["currency"])
        refund_id = self._new_id("refund")
        txn = self._transaction(type_="refund", category="refund", amount=-settled, fee=0,
                                source=refund_id, rate=rate, description="REFUND FOR CHARGE")
        refund = self._store({
            "id": refund_id, "object": "refund", "amount": amount,
            "balance_transaction": txn["id"], "charge": charge_id, "created": txn["created"],
            "currency": charge["currency"], "customer": charge["customer"],
            "customer_account": None,
            "destination_details": {"card": {"type": "refund"}, "type": "card"},
            "metadata": dict(metadata or {}), "payment_intent": charge["payment_intent"],
            "payment_method": charge["payment_method"], "reason": reason,
            "receipt_number": None, "source_transfer_reversal": None, "status": "succeeded",
            "transfer_reversal": None,
        })
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        self._emit("refund.created", refund)
        self._emit("charge.refunded", charge)
        return refund

    def open_dispute(self, charge_id: str, reason: str = "fraudulent") -> Obj:
        """A chargeback: the charge's amount and the dispute fee leave the balance."""
        charge = self.get("charge", charge_id)
        if charge["disputed"]:
            raise StripeError(400, f"Charge {charge_id} is already disputed.",
                              code="charge_disputed")
        settled, rate = self._settle(charge["amount"], charge["currency"])
        dispute_id = self._new_id("dispute")
        txn = self._transaction(type_="adjustment", category="dispute", amount=-settled,
                                fee=self.pricing.dispute_fee, source=dispute_id, rate=rate,
                                description=f"Chargeback withdrawal for {charge_id}",
                                fee_description="Dispute fee")
        dispute = self._store({
            "id": dispute_id, "object": "dispute", "amount": charge["amount"],
            "balance_transactions": [txn], "charge": charge_id, "created": txn["created"],
            "currency": charge["currency"], "enhanced_eligibility_types": [],
            "evidence": {"customer_name": None, "uncategorized_text": None},
            "evidence_details": {"due_by": txn["created"] + 7 * 86400, "has_evidence": False,
                                 "past_due": False, "submission_count": 0},
            "is_charge_refundable": False, "livemode": False, "metadata": {},
            "payment_intent": charge["payment_intent"], "payment_method_details": _CARD,
            "reason": reason, "status": "needs_response",
        })
        charge["disputed"] = True
        self._emit("charge.dispute.created", dispute)
        return dispute

    def close_dispute(self, dispute_id: str, *, won: bool) -> Obj:
        """Close a dispute: won reinstates the amount and the fee; lost keeps both withdrawn."""
        dispute = self.get("dispute", dispute_id)
        if dispute["status"] in ("won", "lost"):
            raise StripeError(400, f"Dispute {dispute_id} is already closed.",
                              code="dispute_already_closed")
        if won:
            first = dispute["balance_transactions"][0]
            txn = self._transaction(type_="adjustment", category="dispute_reversal",
                                    amount=-first["amount"], fee=-first["fee"],
                                    source=dispute_id, rate=first["exchange_rate"],
                                    description=f"Chargeback reversal for {dispute['charge']}",
                                    fee_description="Dispute fee refund")
            dispute["balance_transactions"] = [*dispute["balance_transactions"], txn]
        dispute["status"] = "won" if won else "lost"
        self._emit("charge.dispute.closed", dispute)
        return dispute

    def add_fee(self, amount: int, description: str = "Billing - Usage Fee") -> Obj:
        """A Stripe fee not tied to a charge (billing, Radar ...): it only leaves the balance."""
        return self._transaction(type_="stripe_fee", category="fee", amount=-amount, fee=0,
                                 source=None, rate=None, description=description)

    def available(self) -> int:
        """The balance not yet paid out, in settlement minor units."""
        return sum(self._objects[t]["net"] for t in self._unswept)

    def create_payout(self, amount: int | None = None, *, automatic: bool = False,
                      description: str = "STRIPE PAYOUT") -> Obj:
        """Pay out the whole available balance (a manual payout must ask for exactly that)."""
        available = self.available()
        if amount is not None and amount != available:
            raise StripeError(400, f"This emulator pays out the whole available balance "
                              f"({available}); you asked for {amount}.", param="amount",
                              code="amount_too_large" if amount > available
                              else "parameter_invalid_integer")
        if available <= 0:
            raise StripeError(400, "You have insufficient funds in your Stripe account.",
                              code="balance_insufficient")
        payout_id = self._new_id("payout")
        swept, self._unswept = self._unswept, []
        txn = self._transaction(type_="payout", category="payout", amount=-available, fee=0,
                                source=payout_id, rate=None, description=description)
        self._payout_txns[payout_id] = [*swept, txn["id"]]
        payout = self._store({
            "id": payout_id, "object": "payout", "amount": available,
            "application_fee": None, "application_fee_amount": None,
            "arrival_date": txn["created"] + 2 * 86400, "automatic": automatic,
            "balance_transaction": txn["id"], "created": txn["created"],
            "currency": self.settlement, "description": description,
            "destination": "ba_emulated0000000000", "failure_balance_transaction": None,
            "failure_code": None, "failure_message": None, "livemode": False, "metadata": {},
            "method": "standard", "original_payout": None, "payout_method": None,
            "reconciliation_status": "not_applicable", "reversed_by": None,
            "source_type": "card", "statement_descriptor": None, "status": "in_transit",
            "trace_id": {"status": "pending", "value": None}, "type": "bank_account",
        })
        self._emit("payout.created", payout)
        return payout

    def settle_payout(self, payout_id: str, *, paid: bool) -> Obj:
        """The bank's answer: paid, or failed with the funds returned to the balance."""
        payout = self.get("payout", payout_id)
        if payout["status"] != "in_transit":
            raise StripeError(400, f"Payout {payout_id} is {payout['status']}.",
                              code="payout_not_in_transit")
        if paid:
            payout.update(status="paid", reconciliation_status="completed",
                          trace_id={"status": "supported", "value": f"TRACE{payout_id[3:13]}"})
        else:
            txn = self._transaction(type_="payout_failure", category="payout_reversal",
                                    amount=payout["amount"], fee=0, source=payout_id,
                                    rate=None, description="Payout failure")
            payout.update(status="failed", failure_code="account_closed",
                          failure_message="The bank account has been closed.",
                          failure_balance_transaction=txn["id"])
        self._emit("payout.paid" if paid else "payout.failed", payout)
        return payout

    def run_automatic_payout(self, *, paid: bool = True) -> Obj:
        """Stripe's daily automatic payout: sweep the available balance and settle it."""
        payout = self.create_payout(automatic=True)
        return self.settle_payout(payout["id"], paid=paid)

    def seed(self, transactions: int, *, start: int, payout_every: int = 2000) -> None:
        """Fill the account with exactly ``transactions`` balance transactions.

        One a second from ``start``: charges in several currencies, a partial refund
        of every eleventh, a Stripe fee every 500th and an automatic payout every
        ``payout_every``. No events are recorded or sent, so a large history is quick.
        """
        listener, clock = self.on_event, self._clock
        ticks = itertools.count(start)
        self.on_event, self._clock, self._recording = None, lambda: next(ticks), False
        currencies = ["usd", "usd", "usd", "eur", "gbp", "jpy"]
        try:
            made = 0
            while made < transactions:
                n = made
                if n % payout_every == payout_every - 1 and self.available() > 0:
                    self.run_automatic_payout()
                elif n % 500 == 499:
                    self.add_fee(100 + n % 900)
                elif n % 11 == 10:
                    charges = self._kinds["charge"].items
                    self.create_refund(charges[-1]["id"], max(1, charges[-1]["amount"] // 3))
                else:
                    currency = currencies[n % len(currencies)]
                    amount = 500 + (n * 7919) % 50_000
                    self.create_charge(amount, currency, description=f"Order {n}",
                                       metadata={"order": str(n)})
                made = len(self._kinds["balance_transaction"].items)
        finally:
            self.on_event, self._clock, self._recording = listener, clock, True


def _snapshot(obj: Obj) -> Obj:
    """A copy of an object as it is now, for an event (later changes must not show)."""
    copy = dict(obj)
    if isinstance(obj.get("refunds"), dict):
        copy["refunds"] = {**obj["refunds"], "data": [dict(r) for r in obj["refunds"]["data"]]}
    if "balance_transactions" in obj:
        copy["balance_transactions"] = list(obj["balance_transactions"])
    return copy

