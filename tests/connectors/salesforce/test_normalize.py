"""Opportunity events as canonical Deal and Contact documents."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors.base import RawEvent
from ledgerbridge.connectors.exact_json import dumps
from ledgerbridge.connectors.registry import build
from ledgerbridge.documents import Contact, Deal, PaymentTerms, Ref
from ledgerbridge.money import Money
from ledgerbridge.sync.errors import FatalError, MalformedPayload
from tests.connectors.salesforce.conftest import settings

OPPORTUNITY = "0065g000000ABCDAAA"
ACCOUNT = "0015g000000ABCDAAA"
STAMP = "2026-11-20T10:00:00.000+0000"


def connector(**overrides):
    return build("salesforce", "crm", settings("http://127.0.0.1:9", **overrides))


DEFAULT = connector()


def attributes(sobject, record_id):
    return {"type": sobject, "url": f"/services/data/v60.0/sobjects/{sobject}/{record_id}"}


def bundle(*, lines=(), roles=(), account=True, **fields):
    opportunity = {
        "attributes": attributes("Opportunity", OPPORTUNITY), "Id": OPPORTUNITY,
        "Name": "Acme renewal", "AccountId": ACCOUNT if account else None,
        "Account": {"Name": "Acme"} if account else None, "OwnerId": "0055g000000ABCDAAA",
        "Owner": {"Name": "Dana Seller"}, "StageName": "Prospecting",
        "Amount": Decimal("1250.00"), "CloseDate": "2026-12-15", "IsClosed": False,
        "IsWon": False, "SystemModstamp": STAMP, **fields}
    return {
        "opportunity": opportunity,
        "account": {"attributes": attributes("Account", ACCOUNT), "Id": ACCOUNT, "Name": "Acme",
                    "Phone": "+1 555 0100", "BillingStreet": "1 Main St\nSuite 4",
                    "BillingCity": "Springfield", "BillingState": "IL",
                    "BillingPostalCode": "62701", "BillingCountry": "US",
                    "SystemModstamp": STAMP} if account else None,
        "line_items": list(lines),
        "contact_roles": list(roles),
    }


def line(quantity, price, subtotal, total, discount=None, **fields):
    return {"attributes": attributes("OpportunityLineItem", "00k5g000000ABCDAAA"),
            "Id": "00k5g000000ABCDAAA", "OpportunityId": OPPORTUNITY,
            "Product2Id": "01t5g000000ABCDAAA", "Product2": {"Name": "Licence"},
            "Name": "Acme renewal Licence", "Description": None, "Quantity": Decimal(quantity),
            "UnitPrice": Decimal(price), "Subtotal": Decimal(subtotal),
            "TotalPrice": Decimal(total),
            "Discount": None if discount is None else Decimal(discount), "SortOrder": 1,
            **fields}


def normalize(data, **overrides):
    event = RawEvent(dumps(data).encode(), object_type="Opportunity", object_id=OPPORTUNITY,
                     object_version=STAMP)
    return (connector(**overrides) if overrides else DEFAULT).normalize(event)


def test_deal_and_customer_documents():
    contact, deal = normalize(bundle(roles=[
        {"Id": "00K1", "OpportunityId": OPPORTUNITY, "ContactId": "0035g000000AAAAAAA",
         "Contact": {"Name": "Sam Buyer"}, "IsPrimary": True, "Role": "Decision Maker"}]))
    assert isinstance(deal, Deal) and isinstance(contact, Contact)
    assert deal.source.external_id == OPPORTUNITY and deal.source.object_type == "Opportunity"
    assert deal.source.updated_at == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert (deal.name, deal.stage, deal.status) == ("Acme renewal", "Prospecting", "open")
    assert deal.amount == Money(125000, "USD") and deal.currency == "USD"
    assert deal.close_date == dt.date(2026, 12, 15)
    assert deal.company == Ref(external_id=ACCOUNT, name="Acme")
    assert deal.contacts == (Ref(external_id="0035g000000AAAAAAA", name="Sam Buyer"),)
    assert deal.owner == "Dana Seller" and deal.payment_terms is None
    assert (contact.name, contact.kind, contact.phones) == ("Acme", "customer", ("+1 555 0100",))
    assert contact.source.external_id == ACCOUNT and contact.source.object_type == "Account"
    (address,) = contact.addresses
    assert (address.line1, address.line2, address.country) == ("1 Main St", "Suite 4", "US")


@pytest.mark.parametrize(("closed", "won", "status"), [
    (False, False, "open"), (True, False, "lost"), (True, True, "won")])
def test_status_from_the_closed_and_won_flags(closed, won, status):
    *_, deal = normalize(bundle(IsClosed=closed, IsWon=won, StageName="Any"))
    assert deal.status == status


@given(cents=st.integers(min_value=0, max_value=10**15))
def test_amounts_stay_exact(cents):
    amount = Decimal(cents).scaleb(-2)
    *_, deal = normalize(bundle(Amount=amount))
    assert deal.amount.minor == cents


def test_line_items_with_discount_product_and_account_hint():
    *_, deal = normalize(bundle(lines=[
        line("3", "33.33", "99.99", "89.99", discount="10", Product2={
            "Name": "Licence", "Income_Account__c": "4100"})]),
        line_account_field="Product2.Income_Account__c")
    (item,) = deal.lines
    assert (item.quantity, item.unit_price, item.amount) == (
        Decimal(3), Money(3333, "USD"), Money(9999, "USD"))
    assert item.discount.percent == Decimal(10) and item.discount.amount == Money(1000, "USD")
    assert item.net_amount == Money(8999, "USD")
    assert item.item == Ref(external_id="01t5g000000ABCDAAA", name="Licence")
    assert (item.description, item.account) == ("Acme renewal Licence", "4100")


def test_currency_from_the_record_in_a_multi_currency_org():
    data = bundle(CurrencyIsoCode="EUR", Amount=Decimal("10.5"))
    data["account"]["CurrencyIsoCode"] = "EUR"
    contact, deal = normalize(data, multi_currency=True)
    assert deal.amount == Money(1050, "EUR") and contact.currency == "EUR"
    *_, single = normalize(bundle(CurrencyIsoCode="EUR", Amount=Decimal("10.5")))
    assert single.currency == "USD"


@pytest.mark.parametrize(("value", "terms"), [
    ("Net 45", PaymentTerms(name="Net 45", net_days=45)),
    (30, PaymentTerms(net_days=30)),
    ("Due on receipt", PaymentTerms(name="Due on receipt", net_days=0)),
    (None, None)])
def test_payment_terms_from_the_configured_field(value, terms):
    *_, deal = normalize(bundle(Payment_Terms__c=value), payment_terms_field="Payment_Terms__c")
    assert deal.payment_terms == terms


def test_an_opportunity_without_account_is_a_deal_alone():
    (deal,) = normalize(bundle(account=False))
    assert deal.company is None


def test_unreadable_records_name_the_opportunity():
    with pytest.raises(FatalError, match=OPPORTUNITY):
        normalize(bundle(Amount=Decimal("1.005")))
    with pytest.raises(MalformedPayload):
        connector().normalize(RawEvent(b"not json"))
