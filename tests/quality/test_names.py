"""Names reduced to comparable forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.quality.names import display_key, name_forms

words = st.lists(st.text(alphabet="bcdfghjklmnpqrtvwxz", min_size=3, max_size=9),
                 min_size=1, max_size=4)


@pytest.mark.parametrize(("name", "core"), [
    ("Amazon Web Services", "amazon web service"),
    ("AMAZON WEB SERVICES, INC.", "amazon web service"),
    ("AWS EMEA SARL", "aws"),
    ("aws.amazon.com", "aws"),
    ("Amazon.com", "amazon"),
    ("S.A.R.L. Dupont", "dupont"),
    ("Müller Tech GmbH & Co. KG", "muller technologie"),
    ("Orchid Port Partners Limietd", "orchid port partner"),
    ("The Blue & Green Co.", "blue and green"),
    ("Globex Intl Ltd", "globex international"),
])
def test_core_names_drop_legal_forms_regions_case_and_abbreviations(name, core):
    assert name_forms(name).core == core


def test_acronym_domain_and_branch_are_recognised():
    assert name_forms("Amazon Web Services").acronym == "aws"
    assert name_forms("aws.amazon.com").domain == "aws.amazon.com"
    assert name_forms("AWS EMEA SARL").regional
    assert not name_forms("Amazon Web Services").regional


def test_display_key_keeps_the_legal_form_but_not_its_spelling():
    assert display_key("Acme, Inc.") == display_key("ACME Incorporated")
    assert display_key("Globex Ltd") == display_key("Globex Limited")
    assert display_key("Acme GmbH") != display_key("Acme Inc")


@given(words, st.sampled_from(["GmbH", "Inc.", "LLC", "Ltd", "S.A.R.L.", "Limited", ""]))
def test_a_legal_form_case_or_punctuation_never_changes_the_core(parts, form):
    name = " ".join(parts)
    variant = f"{name.upper()}, {form}" if form else name.title()
    assert name_forms(variant).core == name_forms(name).core
