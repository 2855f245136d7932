"""QuickBooks Online behind the unified interface.

Reads go through the connector's client and normalizer, so a record reads exactly
as the sync engine would store it. Writes build QuickBooks bodies here (the
connector's write-back commands carry fewer fields: no tax, no invoice number) and
save them with the connector writer's ``ensure`` (found again by ``DocNumber``,
``PaymentRefNum`` or ``DisplayName``, created once, updated sparsely with the
current ``SyncToken``). A reference's ``id`` is a QuickBooks Id; without one, a
customer or vendor is found by name (created when missing) and an invoice by its
number. Bills carry our id in ``DocNumber`` and each line's package expense
account; each settlement of a bill is a ``BillPayment`` found again by its
``DocNumber`` (our reference) and deleted when the settlement is undone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from ledgerbridge.connectors.quickbooks import QuickBooksConnector
from ledgerbridge.connectors.quickbooks.client import StaleObject
from ledgerbridge.connectors.quickbooks.normalize import documents_for
from ledgerbridge.connectors.quickbooks.writer import Writer
from ledgerbridge.documents import Bill, Contact, Document, Invoice, Payment, Ref
from ledgerbridge.sync.connections import ConnectionRecord
from ledgerbridge.unified.cursor import Position
from ledgerbridge.unified.errors import BadRequest, NotFound, PreconditionFailed
from ledgerbridge.unified.gaps import admit, gap
from ledgerbridge.unified.ledger_adapter import check_limit
from ledgerbridge.unified.model import BillPayment, FieldGap, Page, Record, document_type
from ledgerbridge.unified.package import calling, page_of, start_of

__all__ = ["QUICKBOOKS_GAPS", "QuickBooksAdapter"]

Obj = dict[str, Any]
_ENTITIES = {"invoices": "Invoice", "credit-notes": "CreditMemo", "bills": "Bill",
             "payments": "Payment", "contacts": "Customer"}
_WRITABLE = ("invoices", "bills", "payments", "contacts")
_KEY_FIELD = {"Invoice": "DocNumber", "Bill": "DocNumber", "Payment": "PaymentRefNum",
              "Customer": "DisplayName"}
_SLACK = 50  # extra rows read past a page, for records sharing the cursor's change time


_TAX = "QuickBooks keeps one tax amount per transaction (TxnTaxDetail.TotalTax): it is " \
       "carried, but its jurisdictions and the split per line read back as one tax line"
QUICKBOOKS_GAPS: dict[str, tuple[FieldGap, ...]] = {
    "invoice": (
        gap("lines.*.tax_lines", _TAX), gap("tax_lines", _TAX),
        gap("amounts_include_tax", "tax-inclusive lines are not pushed"),
        gap("lines.*.discount", "discount lines are not pushed"),
        gap("lines.*.account", "sales lines name an item, not an account"),
        gap("lines.*.item", "items are not matched to QuickBooks items"),
        gap("payment_terms", "terms need a QuickBooks term; the due date is carried"),
        gap("reference", "QuickBooks has no purchase-order field on invoices"),
        gap("status", "the state follows the payments; drafts and voids are not pushed"),
    ),
    "bill": (
        gap("lines.*.tax_lines", _TAX), gap("tax_lines", _TAX),
        gap("amounts_include_tax", "tax-inclusive lines are not pushed"),
        gap("lines.*.discount", "discount lines are not pushed"),
        gap("lines.*.item", "items are not matched to QuickBooks items"),
        gap("number", "DocNumber holds the ledger's id of the bill"),
        gap("payment_terms", "terms need a QuickBooks term; the due date is carried"),
        gap("status", "the balance follows the bill payments; drafts and voids are not "
                      "pushed"),
    ),
    "payment": (
        gap("reference", "PaymentRefNum holds the ledger's id of the payment"),
        gap("method", "a payment method needs a QuickBooks PaymentMethod"),
        gap("fee", "processor fees are not part of a QuickBooks payment"),
        gap("deposit_account", "the deposit account needs a QuickBooks account id"),
        gap("processor", "QuickBooks has no processor field"),
    ),
    "contact": (
        gap("addresses", "addresses are not pushed"),
        gap("tax_id", "tax ids are not pushed"),
        gap("iban", "bank details are not pushed"), gap("bic", "bank details are not pushed"),
        gap("company", "a person's company is not linked"),
        gap("emails.1", "QuickBooks keeps one primary email"),
        gap("phones.1", "QuickBooks keeps one primary phone"),
    ),
}
"""Per document type, the fields QuickBooks cannot carry (as this adapter writes them)."""


def _money(value: Any) -> Decimal:
    return value.decimal


class QuickBooksAdapter:
    """One QuickBooks company through its connection."""

    system: ClassVar[str] = "quickbooks"
    kinds: tuple[str, ...] = tuple(_ENTITIES)
    gaps: dict[str, tuple[FieldGap, ...]] = QUICKBOOKS_GAPS

    def __init__(self, record: ConnectionRecord) -> None:
        connector = record.connector()
        if not isinstance(connector, QuickBooksConnector):
            raise BadRequest(f"connection {record.name!r} is not a QuickBooks connection")
        self.connection = record.name
        self.home = connector.settings.currency
        self.client = connector.client
        self.writer = Writer(self.client)

    def _entity(self, kind: str) -> str:
        document_type(kind)
        if kind not in _ENTITIES:
            raise NotFound(f"QuickBooks (connection {self.connection!r}) serves no {kind}")
        return _ENTITIES[kind]

    def _calling(self, what: str) -> Any:
        return calling(self.connection, self.system, what)

    # -- reading -------------------------------------------------------------------

    def _record(self, kind: str, entity: str, obj: Obj) -> Record | None:
        found = documents_for(entity, obj, self.connection, self.home)
        if not found:
            return None
        return Record(id=str(obj["Id"]), kind=kind, connection=self.connection,
                      version=str(obj.get("SyncToken", "0")), updated_at=_updated(obj),
                      data=found[0].model_copy(update={"id": str(obj["Id"])}))

    def list(self, kind: str, *, updated_since: dt.datetime | None = None,
             cursor: str | None = None, limit: int = 100) -> Page:
        """Objects changed at or after ``updated_since``, by change time then Id."""
        entity = self._entity(kind)
        check_limit(limit)
        position, since = start_of(cursor, updated_since)
        where = "" if since is None else \
            f" WHERE MetaData.LastUpdatedTime >= '{since.isoformat()}'"
        with self._calling(f"listing {kind}"):
            raws = self.client.query(
                f"SELECT * FROM {entity}{where} ORDERBY MetaData.LastUpdatedTime "
                f"STARTPOSITION 1 MAXRESULTS {min(limit + _SLACK, 1000)}")
        return page_of(raws, position=position, limit=limit, key=_position,
                       record=lambda obj: self._record(kind, entity, obj))

    def _read(self, entity: str, record_id: str) -> Obj:
        with self._calling(f"{entity} {record_id}"):
            return self.client.get(entity, record_id)

    def get(self, kind: str, record_id: str) -> Record:
        """One object by its QuickBooks Id."""
        entity = self._entity(kind)
        found = self._record(kind, entity, self._read(entity, record_id))
        if found is None:
            raise NotFound(f"{entity} {record_id} carries no {document_type(kind)}")
        return found

    # -- writing -------------------------------------------------------------------

    def _writable(self, kind: str, document: Document, accept_gaps: bool
                  ) -> tuple[str, tuple[FieldGap, ...]]:
        entity = self._entity(kind)
        gaps = admit(kind, document, writable=_WRITABLE, gaps=self.gaps,
                     adapter=f"QuickBooks (connection {self.connection!r})", accept=accept_gaps)
        if isinstance(document, Contact) and document.kind == "vendor":
            entity = "Vendor"
        return entity, gaps

    def create(self, kind: str, document: Document, *, accept_gaps: bool = False) -> Record:
        """Create (or find again, after a repeat) the object for ``document``."""
        entity, gaps = self._writable(kind, document, accept_gaps)
        with self._calling(f"{document.type} {document.source.external_id}"):
            body = self._body(document)
            key = f"unified:{self.connection}:{document.type}:{document.source.external_id}"
            saved = self.writer.ensure(entity, _KEY_FIELD.get(entity, "DisplayName"),
                                       str(body[_KEY_FIELD.get(entity, "DisplayName")]),
                                       body, key)
        return self._written(kind, entity, saved, gaps)

    def update(self, kind: str, record_id: str, document: Document, *, version: str,
               accept_gaps: bool = False) -> Record:
        """A sparse update carrying ``version`` as the SyncToken; stale versions refused."""
        entity, gaps = self._writable(kind, document, accept_gaps)
        what = f"{entity} {record_id}"
        with self._calling(what):
            body = {**self._body(document), "Id": record_id, "SyncToken": version,
                    "sparse": True}
            try:
                saved = self.client.save(entity, body, request_id=f"{record_id}-{version}-u")
            except StaleObject:
                raise PreconditionFailed(f"{what} changed in QuickBooks since version "
                                         f"{version!r}: read it again") from None
        return self._written(kind, entity, saved, gaps)

    def _written(self, kind: str, entity: str, saved: Obj, gaps: tuple[FieldGap, ...]
                 ) -> Record:
        record = self._record(kind, entity, saved)
        if record is None:
            raise NotFound(f"{entity} {saved.get('Id')} carries no {document_type(kind)}")
        return record.model_copy(update={"unsupported_fields": gaps})

    def _body(self, document: Document) -> Obj:
        if isinstance(document, Invoice):
            return self._invoice(document)
        if isinstance(document, Bill):
            return self._bill(document)
        if isinstance(document, Payment):
            return self._payment(document)
        if isinstance(document, Contact):
            return _contact(document)
        raise BadRequest(f"a {document.type} cannot be written to QuickBooks")

    def _customer(self, ref: Ref | None, record: str) -> Obj:
        """The ``CustomerRef`` for ``ref`` (a customer created by name when missing)."""
        return self._party("Customer", ref, record)

    def _party(self, entity: str, ref: Ref | None, record: str) -> Obj:
        """The reference to a Customer or Vendor for ``ref`` (created by name when missing)."""
        if ref is not None and ref.id:
            name = ref.name or self.client.get(entity, ref.id).get("DisplayName")
            return {"value": ref.id, "name": name}
        if ref is None or not ref.name:
            raise BadRequest(f"{record}: QuickBooks needs the {entity.lower()}'s id or name")
        found = self.writer.find(entity, "DisplayName", ref.name)
        if found is None:
            found = self.writer.ensure(entity, "DisplayName", ref.name,
                                       {"DisplayName": ref.name},
                                       f"unified:{self.connection}:{entity.lower()}:{ref.name}")
        return {"value": str(found["Id"]), "name": ref.name}

    def _invoice(self, invoice: Invoice) -> Obj:
        record = f"invoice {invoice.source.external_id}"
        lines = []
        for line in invoice.lines:
            detail: Obj = {"Qty": line.quantity}
            if line.unit_price is not None:
                detail["UnitPrice"] = _money(line.unit_price)
            lines.append({"DetailType": "SalesItemLineDetail",
                          "Amount": _money(line.line_amount),
                          "Description": line.description, "SalesItemLineDetail": detail})
        body: Obj = {"DocNumber": invoice.number or invoice.source.external_id,
                     "TxnDate": invoice.issue_date.isoformat(),
                     "CustomerRef": self._customer(invoice.customer, record),
                     "CurrencyRef": {"value": invoice.currency}, "Line": lines,
                     "TotalAmt": _money(invoice.total)}
        return body | _optional(invoice)

    def _bill(self, bill: Bill) -> Obj:
        record = f"bill {bill.source.external_id}"
        lines = []
        for n, line in enumerate(bill.lines, 1):
            if not line.account:
                raise BadRequest(f"{record}: line {n} names no QuickBooks expense account; map "
                                 f"our account under targets.{self.connection}.accounts")
            lines.append({"DetailType": "AccountBasedExpenseLineDetail",
                          "Amount": _money(line.net_amount), "Description": line.description,
                          "AccountBasedExpenseLineDetail": {
                              "AccountRef": {"value": line.account}}})
        body: Obj = {"DocNumber": bill.source.external_id,
                     "TxnDate": bill.issue_date.isoformat(),
                     "VendorRef": self._party("Vendor", bill.vendor, record),
                     "CurrencyRef": {"value": bill.currency}, "Line": lines,
                     "TotalAmt": _money(bill.total)}
        return body | _optional(bill)

    # -- bill payments -------------------------------------------------------------

    def pay_bill(self, bill_id: str, payment: BillPayment) -> str:
        """Pay bill ``bill_id`` once under ``payment.reference``; the BillPayment's Id."""
        with self._calling(f"bill payment {payment.reference} of Bill {bill_id}"):
            bill = self.client.get("Bill", bill_id)
            amount = _money(payment.amount)
            body: Obj = {"DocNumber": payment.reference, "TxnDate": payment.date.isoformat(),
                         "VendorRef": bill["VendorRef"], "PayType": "Check",
                         "CheckPayment": {"BankAccountRef": {"value": payment.account}},
                         "CurrencyRef": {"value": payment.amount.currency},
                         "TotalAmt": amount, "PrivateNote": payment.memo,
                         "Line": [{"Amount": amount, "LinkedTxn": [
                             {"TxnId": bill_id, "TxnType": "Bill"}]}]}
            saved = self.writer.ensure(
                "BillPayment", "DocNumber", payment.reference, body,
                f"unified:{self.connection}:bill-payment:{payment.reference}")
        return str(saved["Id"])

    def unpay_bill(self, reference: str) -> None:
        """Delete the BillPayment made under ``reference``, if there is one."""
        with self._calling(f"bill payment {reference}"):
            found = self.writer.find("BillPayment", "DocNumber", reference)
            if found is not None:
                self.client.delete("BillPayment", found,
                                   request_id=f"delete-{found['Id']}-{found['SyncToken']}")

    def _invoice_id(self, ref: Ref, record: str) -> str:
        if ref.id:
            return ref.id
        found = self.writer.find("Invoice", "DocNumber", str(ref.external_id))
        if found is None:
            raise BadRequest(f"{record}: invoice {ref.external_id} is not in QuickBooks; "
                             "create it first or name it by its QuickBooks id")
        return str(found["Id"])

    def _payment(self, payment: Payment) -> Obj:
        record = f"payment {payment.source.external_id}"
        if payment.direction != "received":
            raise BadRequest(f"{record}: only received payments are written to QuickBooks")
        links = []
        for application in payment.applications:
            if application.document_type != "invoice":
                raise BadRequest(f"{record}: QuickBooks payments are applied to invoices only")
            links.append({"Amount": _money(application.amount), "LinkedTxn": [
                {"TxnId": self._invoice_id(application.document, record),
                 "TxnType": "Invoice"}]})
        customer = payment.contact
        if customer is None and links:
            invoice = self.client.get("Invoice", links[0]["LinkedTxn"][0]["TxnId"])
            customer = Ref(id=str(invoice["CustomerRef"]["value"]),
                           name=invoice["CustomerRef"].get("name"))
        body: Obj = {"PaymentRefNum": payment.source.external_id,
                     "TxnDate": payment.date.isoformat(),
                     "CustomerRef": self._customer(customer, record),
                     "CurrencyRef": {"value": payment.currency},
                     "TotalAmt": _money(payment.amount), "Line": links}
        if payment.memo:
            body["PrivateNote"] = payment.memo
        if payment.exchange_rate is not None:
            body["ExchangeRate"] = payment.exchange_rate
        return body


def _optional(document: Invoice | Bill) -> Obj:
    """The fields an invoice or bill body carries only when the document has them."""
    body: Obj = {}
    if document.tax_total is not None and document.tax_total.minor:
        body["TxnTaxDetail"] = {"TotalTax": _money(document.tax_total)}
    if document.due_date:
        body["DueDate"] = document.due_date.isoformat()
    if document.memo:
        body["PrivateNote"] = document.memo
    if document.exchange_rate is not None:
        body["ExchangeRate"] = document.exchange_rate
    return body


def _contact(contact: Contact) -> Obj:
    body: Obj = {"DisplayName": contact.name, "Active": contact.active}
    if contact.emails:
        body["PrimaryEmailAddr"] = {"Address": contact.emails[0]}
    if contact.phones:
        body["PrimaryPhone"] = {"FreeFormNumber": contact.phones[0]}
    if contact.currency:
        body["CurrencyRef"] = {"value": contact.currency}
    return body


def _updated(obj: Obj) -> dt.datetime | None:
    text = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    return None if text is None else dt.datetime.fromisoformat(text)


def _position(obj: Obj) -> Position:
    return Position(_updated(obj), str(obj["Id"]))
