"""Reading a deal with everything it needs: line items, companies, contacts, its stage.

What is read for a deal is a *bundle*: ``{"deal", "stage", "line_items",
"companies", "contacts"}`` of HubSpot records as the API returned them. A polled
page is read in batches (v4 association batch reads, then one batch read per object
type); a deal named by a webhook is read with its v3 associations. Both assemble the
same bundle, which ``normalize.py`` turns into documents without calling HubSpot.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerbridge.connectors.hubspot.client import HubSpotClient

__all__ = ["COMPANY_PROPERTIES", "CONTACT_PROPERTIES", "LINKED_TYPES", "RecordReader"]

DEAL_PROPERTIES = ("dealname", "amount", "dealstage", "pipeline", "closedate",
                   "deal_currency_code", "hubspot_owner_id", "hs_exchange_rate",
                   "createdate", "hs_lastmodifieddate")
LINE_ITEM_PROPERTIES = ("name", "quantity", "price", "amount", "discount",
                        "hs_discount_percentage", "hs_product_id", "hs_sku",
                        "hs_position_on_quote", "hs_lastmodifieddate")
COMPANY_PROPERTIES = ("name", "domain", "phone", "address", "address2", "city", "state",
                      "zip", "country", "hs_lastmodifieddate")
CONTACT_PROPERTIES = ("firstname", "lastname", "email", "phone", "mobilephone",
                      "associatedcompanyid", "lastmodifieddate", "hs_lastmodifieddate")
LINKED_TYPES = ("line_items", "companies", "contacts")


class RecordReader:
    """Reads deal bundles through one connection's client."""

    def __init__(self, client: HubSpotClient, *, deal_properties: tuple[str, ...] = (),
                 line_item_properties: tuple[str, ...] = ()) -> None:
        self.client = client
        self.deal_properties = DEAL_PROPERTIES + deal_properties
        self._properties = {"line_items": LINE_ITEM_PROPERTIES + line_item_properties,
                            "companies": COMPANY_PROPERTIES, "contacts": CONTACT_PROPERTIES}
        self._stages: dict[str, dict[str, Any]] = {}

    def stage(self, stage_id: str | None) -> dict[str, Any] | None:
        """A stage's label, pipeline and won/closed flags (pipelines read when unknown)."""
        if stage_id and stage_id not in self._stages:
            for pipeline in self.client.pipelines("deals"):
                for stage in pipeline.get("stages", []):
                    meta = stage.get("metadata") or {}
                    self._stages[stage["id"]] = {
                        "id": stage["id"], "label": stage.get("label"),
                        "pipeline": pipeline.get("label"),
                        "closed": str(meta.get("isClosed")).lower() == "true",
                        "won": _probability(meta.get("probability")) == 1,
                    }
        return self._stages.get(stage_id) if stage_id else None

    def bundles(self, deals: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Bundles of a page of deals (from a search), read in batches."""
        ids = [d["id"] for d in deals]
        links = {t: self.client.associated("deals", t, ids) for t in LINKED_TYPES}
        return self._assemble(deals, links)

    def deal(self, deal_id: str) -> dict[str, Any]:
        """The bundle of one deal, read with its v3 associations."""
        deal = self.client.get_object("deals", deal_id, self.deal_properties, LINKED_TYPES)
        found = deal.get("associations") or {}
        links = {t: {deal["id"]: _v3_ids((found.get(t) or {}).get("results", []))}
                 for t in LINKED_TYPES}
        return self._assemble([deal], links)[0]

    def record(self, object_type: str, object_id: str) -> dict[str, Any]:
        """One company or contact."""
        return self.client.get_object(object_type, object_id, self._properties[object_type])

    def _assemble(self, deals: list[dict[str, Any]],
                  links: dict[str, dict[str, list[str]]]) -> list[dict[str, Any]]:
        read = {
            t: {r["id"]: r for r in self.client.batch_read(
                t, [i for ids in links[t].values() for i in ids], self._properties[t])}
            for t in LINKED_TYPES
        }
        return [
            {"deal": deal,
             "stage": self.stage(deal["properties"].get("dealstage")),
             **{t: [read[t][i] for i in links[t].get(deal["id"], []) if i in read[t]]
                for t in LINKED_TYPES}}
            for deal in deals
        ]


def _v3_ids(associations: list[dict[str, Any]]) -> list[str]:
    """Linked ids, the primary first.

    HubSpot lists the primary link under the plain type name (``deal_to_company``)
    and every link under ``deal_to_company_unlabeled`` as well.
    """
    ordered = sorted(associations, key=lambda a: str(a.get("type", "")).endswith("_unlabeled"))
    return list(dict.fromkeys(str(a["id"]) for a in ordered))


def _probability(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None
