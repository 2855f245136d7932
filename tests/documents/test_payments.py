"""Payments applied to many invoices, payouts that add up, processor movements."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ledgerbridge.documents import Contact, Dispute, Payment, Payout
from ledgerbridge.money import Money

from . import samples


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {".".join(map(str, e["loc"])): e["msg"] for e in exc.value.errors()}


def test_payment_applied_partially_to_two_invoices() -> None:
    payment = Payment.model_validate(samples.payment())
    assert [a.amount for a in payment.applications] == [Money(60500, "KWD"), Money(30000, "KWD")]
    assert payment.unapplied == Money(9500, "KWD")
    assert payment.fee == Money(2950, "KWD")


def test_payment_applications_cannot_exceed_the_amount() -> None:
    data = samples.payment()
    data["applications"][1]["amount"] = "39.501"
    with pytest.raises(ValidationError) as exc:
        Payment.model_validate(data)
    assert errors_of(exc) == {
        "applications": "applications add up to 100.001, more than the payment amount 100.000"
    }


def test_payment_amounts_must_be_positive() -> None:
    data = samples.payment() | {"amount": "0.000", "applications": []}
    with pytest.raises(ValidationError) as exc:
        Payment.model_validate(data)
    assert errors_of(exc) == {"amount": "amount must be positive, got 0.000"}
    data = samples.payment()
    data["applications"][0]["amount"] = "-1.000"
    with pytest.raises(ValidationError) as exc:
        Payment.model_validate(data)
    assert errors_of(exc) == {"applications.0.amount": "amount must be positive, got -1.000"}


def test_payout_adds_up() -> None:
    payout = Payout.model_validate(samples.payout())
    assert payout.net == Money(8180, "USD")
    with pytest.raises(ValidationError) as exc:
        Payout.model_validate(samples.payout() | {"net": "81.81"})
    assert errors_of(exc) == {"net": "net is 81.81 but gross 85.00 - fees 3.20 = 81.80"}


def test_payout_that_disagrees_with_its_transactions_is_kept_for_the_report() -> None:
    data = samples.payout() | {"gross": "86.00", "fees": "4.20"}
    assert Payout.model_validate(data).net == Money(8180, "USD")
    data = samples.payout()
    data["balance_transactions"][0]["net"] = "96.00"
    with pytest.raises(ValidationError) as exc:
        Payout.model_validate(data)
    assert errors_of(exc) == {
        "balance_transactions.0.net": "net is 96.00 but gross 100.00 - fee 3.20 = 96.80"
    }


def test_dispute_fee_is_not_negative() -> None:
    with pytest.raises(ValidationError) as exc:
        Dispute.model_validate(samples.dispute() | {"fee": "-15.00"})
    assert errors_of(exc) == {"fee": "fee must not be negative, got -15.00"}


def test_contact_iban_is_checked_and_compacted() -> None:
    contact = Contact.model_validate(samples.contact() | {"iban": "gb82 west 1234 5698 7654 32"})
    assert contact.iban == "GB82WEST12345698765432"
    with pytest.raises(ValidationError) as exc:
        Contact.model_validate(samples.contact() | {"iban": "GB83WEST12345698765432"})
    assert errors_of(exc) == {"iban": "IBAN 'GB83WEST12345698765432' has wrong check digits"}
