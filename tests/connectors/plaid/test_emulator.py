"""The emulator through Plaid's official Python SDK: proof that the wire format is Plaid's."""

import datetime as dt
import json

import httpx
import plaid
import pytest
from plaid.api import plaid_api
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.custom_sandbox_transaction import CustomSandboxTransaction
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_transactions_create_request import SandboxTransactionsCreateRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.transactions_sync_request_options import TransactionsSyncRequestOptions
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from ledgerbridge.connectors.plaid.emulator import CLIENT_ID
from tests.connectors.plaid.conftest import SECRET

D = dt.date(2026, 11, 20)


def sdk(url, secret=SECRET):
    configuration = plaid.Configuration(host=url,
                                        api_key={"clientId": CLIENT_ID, "secret": secret})
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


@pytest.fixture
def client(plaid_url):
    return sdk(plaid_url)


@pytest.fixture
def token(client):
    public = client.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_109508", initial_products=[Products("transactions")]))
    exchanged = client.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public.public_token))
    assert exchanged.item_id and exchanged.access_token.startswith("access-sandbox-")
    return exchanged.access_token


def create(client, token, *amounts, account_id=None):
    transactions = [CustomSandboxTransaction(
        date_transacted=D, date_posted=D + dt.timedelta(1), amount=amount,
        description=f"SANDBOX {n}", **({"account_id": account_id} if account_id else {}))
        for n, amount in enumerate(amounts)]
    client.sandbox_transactions_create(SandboxTransactionsCreateRequest(
        access_token=token, transactions=transactions))


def sync(client, token, cursor=None, count=100):
    request = TransactionsSyncRequest(
        access_token=token, count=count,
        options=TransactionsSyncRequestOptions(include_original_description=True),
        **({"cursor": cursor} if cursor is not None else {}))
    return client.transactions_sync(request)


def error_of(exc: plaid.ApiException) -> dict:
    return json.loads(exc.body)


def test_pages_cursors_and_has_more(client, token):
    create(client, token, 12.34, -100.0, 5.0)
    first = sync(client, token, count=2)
    assert (len(first.added), first.has_more) == (2, True)
    assert first.added[0].amount == 12.34 and first.added[0].pending is False
    assert first.added[0].date == D + dt.timedelta(1)
    assert first.added[0].authorized_date == D
    assert first.added[0].original_description == "SANDBOX 0"
    assert first.accounts and first.request_id
    second = sync(client, token, first.next_cursor, count=2)
    assert ([t.amount for t in second.added], second.has_more) == ([5.0], False)
    idle = sync(client, token, second.next_cursor)
    assert (idle.added, idle.modified, idle.removed, idle.has_more) == ([], [], [], False)
    assert idle.next_cursor == second.next_cursor
    assert str(idle.transactions_update_status) == "HISTORICAL_UPDATE_COMPLETE"


def test_modified_and_removed_since_the_cursor(client, bank):
    first = sync(client, bank.access_token)
    keep = bank.add("20.00", date="2026-11-20", pending=True)
    gone = bank.add("7.00", date="2026-11-20")
    start = sync(client, bank.access_token, first.next_cursor)
    assert [t.transaction_id for t in start.added] == [keep, gone]
    bank.modify(keep, amount="24.00")
    bank.remove(gone)
    later = sync(client, bank.access_token, start.next_cursor)
    assert [(t.transaction_id, t.amount) for t in later.modified] == [(keep, 24.0)]
    assert [(r.transaction_id, r.account_id) for r in later.removed] == [
        (gone, bank.accounts[0])]
    assert later.added == []
    # a client starting from scratch sees only what exists now
    fresh = sync(client, bank.access_token)
    assert [(t.transaction_id, t.amount) for t in fresh.added] == [(keep, 24.0)]


def test_posting_a_pending_transaction_removes_it_and_adds_the_posted_one(client, bank):
    pending = bank.add("59.99", date="2026-11-20", pending=True)
    start = sync(client, bank.access_token)
    posted = bank.post(pending, date="2026-11-22")
    update = sync(client, bank.access_token, start.next_cursor)
    assert [r.transaction_id for r in update.removed] == [pending]
    (added,) = update.added
    assert (added.transaction_id, added.pending, added.pending_transaction_id) == (
        posted, False, pending)


def test_a_change_between_pages_is_refused_as_plaid_does(client, token):
    create(client, token, 1.0, 2.0, 3.0)
    first = sync(client, token, count=1)
    create(client, token, 4.0)
    with pytest.raises(plaid.ApiException) as caught:
        sync(client, token, first.next_cursor, count=1)
    assert caught.value.status == 400
    error = error_of(caught.value)
    assert (error["error_type"], error["error_code"]) == (
        "TRANSACTIONS_ERROR", "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
    restarted = sync(client, token)  # from the cursor the pagination began at
    assert len(restarted.added) == 4


def test_errors_have_plaids_shape(plaid_url, client, token):
    with pytest.raises(plaid.ApiException) as caught:
        sync(client, "access-sandbox-not-a-token")
    assert caught.value.status == 400
    error = error_of(caught.value)
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_ACCESS_TOKEN")
    assert set(error) >= {"error_type", "error_code", "error_message", "display_message",
                          "request_id"}
    with pytest.raises(plaid.ApiException) as caught:
        sync(sdk(plaid_url, secret="wrong"), token)
    assert error_of(caught.value)["error_code"] == "INVALID_API_KEYS"
    for count in (0, 501, "10"):
        answer = httpx.post(f"{plaid_url}/transactions/sync", json={
            "client_id": CLIENT_ID, "secret": SECRET, "access_token": token, "count": count})
        assert answer.status_code == 400
        assert (answer.json()["error_type"], answer.json()["error_code"]) == (
            "INVALID_REQUEST", "INVALID_FIELD")
    bad_cursor = httpx.post(f"{plaid_url}/transactions/sync", json={
        "client_id": CLIENT_ID, "secret": SECRET, "access_token": token, "cursor": "nope!"})
    assert bad_cursor.json()["error_code"] == "INVALID_FIELD"
    unknown = httpx.post(f"{plaid_url}/transactions/sync", json={
        "client_id": CLIENT_ID, "secret": SECRET, "access_token": token, "since": "x"})
    assert unknown.json()["error_code"] == "UNKNOWN_FIELDS"
    missing = httpx.post(f"{plaid_url}/transactions/sync", json={"access_token": token})
    assert missing.json()["error_code"] == "MISSING_FIELDS"


def test_credentials_in_the_body_or_in_headers(plaid_url, token):
    body = {"access_token": token, "count": 500}
    in_body = httpx.post(f"{plaid_url}/transactions/sync",
                         json={"client_id": CLIENT_ID, "secret": SECRET, **body})
    in_headers = httpx.post(f"{plaid_url}/transactions/sync", json=body,
                            headers={"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET})
    assert in_body.status_code == in_headers.status_code == 200


def test_amounts_are_exact_json_numbers(plaid_url, bank):
    bank.add("1234.56", date="2026-11-20")
    answer = httpx.post(f"{plaid_url}/transactions/sync", json={
        "client_id": CLIENT_ID, "secret": SECRET, "access_token": bank.access_token})
    assert '"amount": 1234.56' in answer.text


def test_verification_key_and_fired_webhooks(plaid_url, client, token):
    fired = client.sandbox_item_fire_webhook(SandboxItemFireWebhookRequest(
        access_token=token, webhook_code="SYNC_UPDATES_AVAILABLE"))
    assert fired.webhook_fired is True
    accounts = client.accounts_get(AccountsGetRequest(access_token=token))
    assert [str(a.type) for a in accounts.accounts] == ["depository", "depository"]
    kid = httpx.get(f"{plaid_url}/_emulator/state").json()["webhook_key_id"]
    key = client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid)).key
    assert (key.alg, key.crv, key.kty, key.use, key.kid) == ("ES256", "P-256", "EC", "sig", kid)
    assert key.expired_at is None
    with pytest.raises(plaid.ApiException) as caught:
        client.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id="nope"))
    assert error_of(caught.value)["error_code"] == "INVALID_WEBHOOK_VERIFICATION_KEY_ID"
