"""Cutting HubSpot webhook deliveries into events, and what each event normalizes to."""

from __future__ import annotations

import json

import pytest

import ledgerbridge.connectors.hubspot as package
from ledgerbridge.connectors.base import RawEvent, WebhookRequest
from ledgerbridge.connectors.hubspot import HubSpotConnector, HubSpotSettings
from ledgerbridge.connectors.registry import connector_class
from ledgerbridge.sandbox.emulators import SandboxOptions, emulator_app
from ledgerbridge.sync.errors import MalformedPayload

CONNECTOR = HubSpotConnector("hs", HubSpotSettings(access_token="t", client_secret="s"))


def split(events):
    body = json.dumps(events).encode()
    return CONNECTOR.split(WebhookRequest("POST", "/webhooks/hs", {}, body))


def test_each_event_is_keyed_by_its_event_id_and_record():
    events = split([
        {"eventId": 7, "subscriptionType": "deal.propertyChange", "objectId": 1001,
         "propertyName": "dealstage", "propertyValue": "closedwon"},
        {"eventId": 8, "subscriptionType": "deal.associationChange",
         "associationType": "DEAL_TO_LINE_ITEM", "fromObjectId": 1001, "toObjectId": 3001},
        {"eventId": 9, "subscriptionType": "deal.associationChange",
         "associationType": "LINE_ITEM_TO_DEAL", "fromObjectId": 3002, "toObjectId": 1002},
        {"eventId": 10, "subscriptionType": "contact.creation", "objectId": 2101},
    ])
    assert [(e.event_id, e.object_type, e.object_id) for e in events] == [
        ("7", "deal", "1001"), ("8", "deal", "1001"), ("9", "deal", "1002"),
        ("10", "contact", "2101")]
    assert all(e.object_version is None for e in events)  # the fetched deal has the version


@pytest.mark.parametrize("body", [b"not json", b"{}", b"[]", b'[{"objectId": 1}]'])
def test_unreadable_deliveries_are_malformed(body):
    with pytest.raises(MalformedPayload):
        CONNECTOR.split(WebhookRequest("POST", "/webhooks/hs", {}, body))


@pytest.mark.parametrize("event", [
    {"eventId": 1, "subscriptionType": "deal.deletion", "objectId": 1001},
    {"eventId": 2, "subscriptionType": "ticket.creation", "objectId": 5},
])
def test_deletions_and_other_objects_make_no_documents(event):
    assert CONNECTOR.normalize(RawEvent(json.dumps(event).encode())) == []


def test_a_body_that_is_neither_bundle_nor_event_is_malformed():
    with pytest.raises(MalformedPayload):
        CONNECTOR.normalize(RawEvent(b'{"something": "else"}'))


def test_the_package_surface_and_registration():
    assert package.__all__ == ["HubSpotConnector", "HubSpotSettings"]
    assert connector_class("hubspot") is HubSpotConnector
    assert [s.name for s in HubSpotConnector.streams] == ["deals"]
    assert emulator_app("hubspot", SandboxOptions()).title == "ledgerbridge HubSpot emulator"


def test_settings_need_a_token_or_oauth_and_keep_secrets_hidden():
    with pytest.raises(ValueError, match="access_token, or client_id"):
        HubSpotSettings(client_id="app")
    oauth = HubSpotSettings(client_id="app", client_secret="secret-1",
                            refresh_token="refresh-2")
    assert "secret-1" not in repr(oauth) and "refresh-2" not in repr(oauth)
    assert set(HubSpotConnector.secret_fields) == {"access_token", "client_secret",
                                                   "refresh_token"}
