"""Strong keys and identifier checks: tax numbers, IBANs, emails, countries, currencies."""

from __future__ import annotations

from ledgerbridge.quality.keys import (
    company_domain,
    country_problem,
    currency_problem,
    email_problem,
    iban_problem,
    tax_id,
)


def test_tax_numbers_are_keys_when_valid_and_problems_when_not():
    assert tax_id("DE 136 695 976", None).key == "DE:136695976"
    assert tax_id("136695976", "DE").key == "DE:136695976"
    assert "checksum" in tax_id("DE136695975", None).problem
    assert tax_id("12-3456789", None).key == "US:123456789"
    assert tax_id("07-3456789", "US").problem is not None


def test_a_number_that_cannot_be_checked_is_neither_key_nor_problem():
    assert tax_id("A-1234", None) == tax_id("A-1234", None)
    assert tax_id("A-1234", None).key is None
    assert tax_id("A-1234", None).problem is None


def test_ibans_are_checked_for_their_country_format():
    assert iban_problem("DE89 3704 0044 0532 0130 00") is None
    assert "checksum" in iban_problem("DE89370400440532013001")
    assert "format" in iban_problem("DE6812345678901234567")


def test_free_mail_is_never_a_company_domain():
    assert company_domain("billing@AWS.Amazon.com") == "aws.amazon.com"
    assert company_domain("jane.doe@gmail.com") is None
    assert company_domain("not-an-address") is None
    assert email_problem("ap@hooli") is not None
    assert email_problem("ap@hooli.com") is None


def test_countries_and_currencies_follow_iso():
    assert country_problem("GB") is None
    assert "GB" in country_problem("UK")
    assert country_problem("EU") is not None
    assert currency_problem("EUR") is None
    assert "withdrawn" in currency_problem("DEM")
