"""The Data quality page: everyone logged in looks, accountants accept and undo."""

from __future__ import annotations

import re

import pytest

from ledgerbridge.quality import merges
from tests.quality.books import dirty_books
from tests.web.conftest import post_form

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
MERGE = re.compile(r'data-merge="(\d+)"')


@pytest.fixture
def books(ledger):
    dirty_books(ledger)
    return ledger


@sqlite_only
def test_a_viewer_sees_findings_and_proposals_but_cannot_decide(books, site, viewer,
                                                                accountant):
    assert post_form(accountant, "/quality", "/quality/resolve").status_code == 303
    page = viewer.get("/quality")
    assert page.status_code == 200
    assert "invalid_iban" in page.text and "Amazon Web Services" in page.text
    assert 'data-action="accept"' not in page.text
    merge_id = MERGE.search(page.text).group(1)
    refused = post_form(viewer, "/quality", f"/quality/merges/{merge_id}/accept")
    assert refused.status_code == 403
    assert merges(books, "accepted") == []


@sqlite_only
def test_an_accountant_accepts_and_undoes_with_the_form_token(books, site, accountant):
    post_form(accountant, "/quality", "/quality/resolve")
    page = accountant.get("/quality")
    merge_id = int(MERGE.search(page.text).group(1))
    forged = accountant.post(f"/quality/merges/{merge_id}/accept", data={})
    assert forged.status_code == 403
    done = post_form(accountant, "/quality", f"/quality/merges/{merge_id}/accept")
    assert done.status_code == 303
    assert f"Merge {merge_id} accepted" in accountant.get("/quality").text
    assert [m.id for m in merges(books, "accepted")] == [merge_id]
    post_form(accountant, "/quality", f"/quality/merges/{merge_id}/undo")
    assert merges(books, "accepted") == []
    again = post_form(accountant, "/quality", f"/quality/merges/{merge_id}/undo")
    assert again.status_code == 303
    assert "only an accepted merge can be undone" in accountant.get("/quality").text
