"""Deal bundles become Deal and customer Contact documents, exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.connectors.hubspot import HubSpotSettings
from ledgerbridge.connectors.hubspot.normalize import deal_documents, payment_terms
from ledgerbridge.documents import Contact, Deal, PaymentTerms
from ledgerbridge.money import Money

SETTINGS = HubSpotSettings(access_token="t")
STAGES = {
    "contractsent": {"id": "contractsent", "label": "Contract Sent",
                     "pipeline": "Sales Pipeline", "closed": False, "won": False},
    "closedwon": {"id": "closedwon", "label": "Closed Won", "pipeline": "Sales Pipeline",
                  "closed": True, "won": True},
    "closedlost": {"id": "closedlost", "label": "Closed Lost", "pipeline": "Sales Pipeline",
                   "closed": True, "won": False},
}


def record(object_id, **properties):
    return {"id": object_id, "properties": {"hs_lastmodifieddate": "2026-11-20T10:00:00.000Z",
                                            **properties}}


def bundle(stage="closedwon", lines=None, **properties):
    deal = record("1001", **{
        "dealname": "Acme renewal", "amount": "1250.00", "dealstage": stage,
        "pipeline": "default", "closedate": "2026-11-20T00:00:00.000Z",
        "deal_currency_code": "USD", "hubspot_owner_id": "55", "payment_terms": "Net 30",
        **properties})
    return {
        "deal": deal, "stage": STAGES.get(stage),
        "line_items": lines if lines is not None else [
            record("3002", name="Onboarding", quantity="1", price="350.00",
                   hs_position_on_quote="1"),
            record("3001", name="Licence", quantity="10", price="100.00",
                   hs_discount_percentage="10", hs_product_id="77", hs_position_on_quote="0"),
        ],
        "companies": [record("2001", name="Acme Corp", city="Austin", state="TX",
                             country="us", phone="+1 512 555 0100")],
        "contacts": [record("2101", firstname="Ada", lastname="Lovelace",
                            email="ada@acme.example", associatedcompanyid="2001")],
    }


def documents(data, settings=SETTINGS):
    found = deal_documents(data, settings, "hs")
    return [d for d in found if isinstance(d, Contact)], found[-1]


def test_a_won_deal_with_lines_company_contacts_and_terms():
    (company, person), deal = documents(bundle())
    assert isinstance(deal, Deal)
    assert (deal.name, deal.stage, deal.pipeline, deal.status) == (
        "Acme renewal", "Closed Won", "Sales Pipeline", "won")
    assert deal.amount == Money(125000, "USD")
    assert deal.close_date == dt.date(2026, 11, 20)
    assert deal.owner == "55"
    assert deal.payment_terms == PaymentTerms(name="Net 30", net_days=30)
    assert deal.source.external_id == "1001" and deal.source.object_type == "deal"
    assert deal.source.updated_at == dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    assert deal.company.external_id == "company:2001" and deal.company.name == "Acme Corp"
    assert [c.external_id for c in deal.contacts] == ["contact:2101"]
    licence, onboarding = deal.lines  # in quote order
    assert (licence.description, licence.quantity, licence.unit_price) == (
        "Licence", Decimal(10), Money(10000, "USD"))
    assert licence.discount.amount == Money(10000, "USD")  # 10 % of 1000.00
    assert licence.item.external_id == "product:77"
    assert onboarding.net_amount == Money(35000, "USD")
    assert (company.kind, company.is_person, company.source.external_id) == (
        "customer", False, "company:2001")
    assert company.addresses[0].country == "US" and company.addresses[0].region == "TX"
    assert (person.name, person.emails, person.is_person) == (
        "Ada Lovelace", ("ada@acme.example",), True)
    assert person.company.external_id == "company:2001"


@pytest.mark.parametrize(("stage", "status"), [
    ("contractsent", "open"), ("closedwon", "won"), ("closedlost", "lost"),
    ("stage-nobody-knows", "open")])
def test_status_follows_the_pipeline_flags(stage, status):
    assert documents(bundle(stage))[1].status == status


def test_won_and_lost_stages_can_be_overridden():
    settings = HubSpotSettings(access_token="t", won_stages="contractsent, signed",
                               lost_stages=["closedlost"])
    assert documents(bundle("contractsent"), settings)[1].status == "won"
    assert documents(bundle("closedwon"), settings)[1].status == "open"


def test_foreign_currency_deal_carries_its_exchange_rate():
    deal = documents(bundle(deal_currency_code="EUR", hs_exchange_rate="1.0857",
                            amount="1000", lines=[]))[1]
    assert deal.currency == "EUR" and deal.exchange_rate == Decimal("1.0857")
    home = documents(bundle(hs_exchange_rate="1", lines=[]))[1]
    assert home.exchange_rate is None


def test_prices_finer_than_the_currency_and_unit_discounts():
    lines = [record("1", name="Metered", quantity="3", price="0.125"),
             record("2", name="Seat", quantity="4", price="25.00", discount="2.50")]
    metered, seat = documents(bundle(lines=lines, amount="99.875"))[1].lines
    assert metered.unit_price is None and metered.amount == Money(38, "USD")  # 0.375
    assert seat.discount.amount == Money(1000, "USD")
    assert documents(bundle(amount="99.875"))[1].amount == Money(9988, "USD")


def test_an_empty_deal_name_and_missing_optional_fields():
    data = bundle(lines=[])
    data["deal"]["properties"].update(dealname="", closedate=None, payment_terms=None)
    data["companies"] = data["contacts"] = []
    contacts, deal = documents(data)
    assert contacts == [] and deal.name == "Deal 1001"
    assert deal.company is None and deal.close_date is None and deal.payment_terms is None


@pytest.mark.parametrize(("text", "days"), [
    ("Net 30", 30), ("45", 45), ("NET60", 60), ("Due on receipt", 0), ("whenever", None)])
def test_payment_terms_text(text, days):
    terms = payment_terms(text)
    assert (terms.net_days if terms else None) == days


@given(units=st.integers(min_value=0, max_value=10**9), scale=st.integers(0, 4))
def test_amounts_are_read_exactly_never_through_floats(units, scale):
    text = str(Decimal(units).scaleb(-scale))
    deal = documents(bundle(amount=text, lines=[]))[1]
    exact = Decimal(units).scaleb(-scale)
    assert abs(deal.amount.decimal - exact) <= Decimal("0.005")
    if scale <= 2:
        assert deal.amount.decimal == exact


def test_zero_quantities_stay_zero_and_garbage_numbers_are_refused():
    lines = [record("1", name="Free seat", quantity="0", price="25.00")]
    (line,) = documents(bundle(lines=lines))[1].lines
    assert line.quantity == 0 and line.amount == Money(0, "USD")
    for bad in ("NaN", "12,50"):
        with pytest.raises(ValueError, match="is not a number"):
            documents(bundle(amount=bad, lines=[]))
