"""Xero behind the unified interface.

Reads go through the connector's client and normalizer. Invoices, bills and
payments are written with the connector's own writer (found again by their
``Reference``, created once under an ``Idempotency-Key``); contacts are found by
name and created here, since the writer has no contact command. A reference's
``id`` is a Xero id (ContactID, InvoiceID). Updates are offered for contacts only:
Xero refuses changes to paid invoices and has no payment updates at all. Each
settlement of a bill is a payment (ACCPAYPAYMENT) whose ``Reference`` is our
reference; undoing it sets the payment's Status to DELETED, as Xero deletes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from ledgerbridge.connectors.xero import XeroConnector
from ledgerbridge.connectors.xero.normalize import Normalizer
from ledgerbridge.connectors.xero.wire import API, dumps, parse_stamp
from ledgerbridge.connectors.xero.writer import Writer
from ledgerbridge.documents import (
    Bill,
    Contact,
    Document,
    Invoice,
    Payment,
    PaymentApplication,
    Ref,
    Source,
)
from ledgerbridge.sync.connections import ConnectionRecord
from ledgerbridge.unified.cursor import Position
from ledgerbridge.unified.errors import BadRequest, NotFound, PreconditionFailed
from ledgerbridge.unified.gaps import admit, gap
from ledgerbridge.unified.ledger_adapter import check_limit
from ledgerbridge.unified.model import BillPayment, FieldGap, Page, Record, document_type
from ledgerbridge.unified.package import calling, page_of, start_of

__all__ = ["XERO_GAPS", "XeroAdapter"]

Obj = dict[str, Any]
# kind: (collection, its id field, the Type a record of the kind has, if several share it)
_COLLECTIONS: dict[str, tuple[str, str, str | None]] = {
    "invoices": ("Invoices", "InvoiceID", "ACCREC"),
    "bills": ("Invoices", "InvoiceID", "ACCPAY"),
    "credit-notes": ("CreditNotes", "CreditNoteID", "ACCRECCREDIT"),
    "payments": ("Payments", "PaymentID", None),
    "contacts": ("Contacts", "ContactID", None),
}
_WRITABLE = ("invoices", "bills", "payments", "contacts")
_MS = dt.timedelta(milliseconds=1)


_LINES = (
    gap("tax_lines", "Xero keeps tax on lines only: put the tax on the lines"),
    gap("lines.*.tax_lines.1", "Xero keeps one tax amount per line"),
    gap("lines.*.item", "items are not matched to Xero item codes"),
    gap("exchange_rate", "Xero applies its own rate to the document currency"),
    gap("payment_terms", "terms are not pushed; the due date is carried"),
    gap("memo", "Xero invoices have no private note"),
)
XERO_GAPS: dict[str, tuple[FieldGap, ...]] = {
    "invoice": (*_LINES,
                gap("reference", "Reference holds the ledger's id of the invoice"),
                gap("status", "invoices are pushed as drafts or authorised; Xero marks "
                               "them paid itself")),
    "bill": (*_LINES,
             gap("number", "a bill's number is not pushed"),
             gap("status", "bills are pushed as drafts or authorised")),
    "payment": (
        gap("reference", "Reference holds the ledger's id of the payment"),
        gap("applications.1", "a Xero payment pays exactly one invoice or bill"),
        gap("method", "Xero has no payment method field"),
        gap("fee", "processor fees are not part of a Xero payment"),
        gap("memo", "Xero payments have no memo"),
        gap("exchange_rate", "Xero applies its own rate"),
    ),
    "contact": (
        gap("addresses", "addresses are not pushed"),
        gap("phones", "phones are not pushed"),
        gap("emails.1", "Xero keeps one email address"),
        gap("iban", "bank details are not pushed"), gap("bic", "bank details are not pushed"),
        gap("company", "a person's company is not linked"),
    ),
}
"""Per document type, the fields Xero cannot carry (as this adapter writes them)."""


def _quoted(text: str) -> str:
    return text.replace('"', "").replace("\\", "")


class XeroAdapter:
    """One Xero organisation through its connection."""

    system: ClassVar[str] = "xero"
    kinds: tuple[str, ...] = tuple(_COLLECTIONS)
    gaps: dict[str, tuple[FieldGap, ...]] = XERO_GAPS

    def __init__(self, record: ConnectionRecord) -> None:
        connector = record.connector()
        if not isinstance(connector, XeroConnector):
            raise BadRequest(f"connection {record.name!r} is not a Xero connection")
        s = connector.settings
        self.connection = record.name
        self.client = connector.client
        self.normalizer = Normalizer(record.name, s.tax_jurisdiction)
        self.writer = Writer(self.client, sales_account=s.sales_account,
                             purchases_account=s.purchases_account,
                             payment_account=s.payment_account,
                             sales_tax_type=s.sales_tax_type,
                             purchases_tax_type=s.purchases_tax_type)

    def _collection(self, kind: str) -> tuple[str, str, str | None]:
        document_type(kind)
        if kind not in _COLLECTIONS:
            raise NotFound(f"Xero (connection {self.connection!r}) serves no {kind}")
        return _COLLECTIONS[kind]

    def _calling(self, what: str) -> Any:
        return calling(self.connection, self.system, what)

    # -- reading -------------------------------------------------------------------

    def _record(self, kind: str, obj: Obj) -> Record | None:
        collection, id_field, _ = _COLLECTIONS[kind]
        found = self.normalizer.documents(collection, obj)
        if not found:
            return None
        return Record(id=str(obj[id_field]), kind=kind, connection=self.connection,
                      version=str(obj.get("UpdatedDateUTC", "")), updated_at=_updated(obj),
                      data=found[0].model_copy(update={"id": str(obj[id_field])}))

    def list(self, kind: str, *, updated_since: dt.datetime | None = None,
             cursor: str | None = None, limit: int = 100) -> Page:
        """Records changed at or after ``updated_since``, by change time then id."""
        collection, id_field, type_ = self._collection(kind)
        check_limit(limit)
        position, since = start_of(cursor, updated_since)
        where = None if type_ is None else f'Type=="{type_}"'
        raws: list[Obj] = []
        with self._calling(f"listing {kind}"):
            # If-Modified-Since is exclusive: ask from just before the wanted time.
            for rows, _more in self.client.pages(collection, since=None if since is None
                                                 else since - _MS):
                raws += [r for r in rows if where is None or r.get("Type") == type_]
                if len(raws) > limit + 50:
                    break
        return page_of(raws, position=position, limit=limit,
                       key=lambda obj: Position(_updated(obj), str(obj[id_field])),
                       record=lambda obj: self._record(kind, obj))

    def _read(self, kind: str, record_id: str) -> Obj:
        collection, _, type_ = self._collection(kind)
        with self._calling(f"{collection} {record_id}"):
            found = self.client.get(collection, record_id)
        if found is None or (type_ is not None and found.get("Type") != type_):
            raise NotFound(f"there is no {document_type(kind)} {record_id} in Xero "
                           f"(connection {self.connection!r})")
        return found

    def get(self, kind: str, record_id: str) -> Record:
        """One record by its Xero id."""
        found = self._record(kind, self._read(kind, record_id))
        if found is None:
            raise NotFound(f"{kind} {record_id} carries no {document_type(kind)}")
        return found

    # -- writing -------------------------------------------------------------------

    def _writable(self, kind: str, document: Document, accept_gaps: bool
                  ) -> tuple[FieldGap, ...]:
        self._collection(kind)
        return admit(kind, document, writable=_WRITABLE, gaps=self.gaps,
                     adapter=f"Xero (connection {self.connection!r})", accept=accept_gaps)

    def create(self, kind: str, document: Document, *, accept_gaps: bool = False) -> Record:
        """Create (or find again, after a repeat) the record for ``document``."""
        gaps = self._writable(kind, document, accept_gaps)
        name = f"{document.type} {document.source.external_id}"
        key = f"unified:{self.connection}:{document.type}:{document.source.external_id}"
        with self._calling(name):
            if isinstance(document, Contact):
                saved_id = self._contact(document, key)
            else:
                payload = {**self._named(document).model_dump(mode="json"),
                           "idempotency_key": key}
                command = "push_payment" if isinstance(document, Payment) else "push_invoice"
                saved_id = self.writer.write(command, payload).external_id
        record = self.get(kind, saved_id)
        return record.model_copy(update={"unsupported_fields": gaps})

    def update(self, kind: str, record_id: str, document: Document, *, version: str,
               accept_gaps: bool = False) -> Record:
        """Change a contact; ``version`` is its ``UpdatedDateUTC`` as read."""
        if kind != "contacts":
            raise BadRequest(f"{kind} are not updated in Xero through this API: Xero refuses "
                             "changes to paid invoices and has no payment updates; void and "
                             "create instead")
        gaps = self._writable(kind, document, accept_gaps)  # a contact, as the kind says
        current = self._read(kind, record_id)
        if str(current.get("UpdatedDateUTC", "")) != version:
            raise PreconditionFailed(f"contact {record_id} changed in Xero since version "
                                     f"{version!r}: read it again")
        with self._calling(f"contact {record_id}"):
            self.client.call("POST", f"{API}/Contacts/{record_id}",
                             content=dumps({"Contacts": [{**_contact(document),
                                                          "ContactID": record_id}]}),
                             headers={"content-type": "application/json"}, record=record_id)
        return self.get(kind, record_id).model_copy(update={"unsupported_fields": gaps})

    def _named(self, document: Document) -> Document:
        """``document`` with Xero ids of its references turned into what the writer reads."""
        if isinstance(document, Invoice | Bill):
            field = "customer" if isinstance(document, Invoice) else "vendor"
            party: Ref = getattr(document, field)
            if party.id and not party.name:
                contact = self._read("contacts", party.id)
                return document.model_copy(update={field: Ref(name=contact["Name"])})
            return document
        if isinstance(document, Payment):
            applications = tuple(
                a.model_copy(update={"document": Ref(external_id=a.document.id)})
                if a.document.id else a for a in document.applications)
            return document.model_copy(update={"applications": applications})
        return document

    # -- bill payments -------------------------------------------------------------

    def pay_bill(self, bill_id: str, payment: BillPayment) -> str:
        """Pay bill ``bill_id`` once under ``payment.reference``; the payment's PaymentID."""
        document = Payment(
            source=Source(connection=self.connection, object_type="bill_payment",
                          external_id=payment.reference),
            direction="sent", date=payment.date, amount=payment.amount,
            currency=payment.amount.currency, deposit_account=payment.account,
            applications=(PaymentApplication(document=Ref(external_id=bill_id),
                                             document_type="bill", amount=payment.amount),))
        key = f"unified:{self.connection}:bill-payment:{payment.reference}"
        with self._calling(f"bill payment {payment.reference} of bill {bill_id}"):
            saved = self.writer.write("push_payment", {**document.model_dump(mode="json"),
                                                       "idempotency_key": key})
        return str(saved.external_id)

    def unpay_bill(self, reference: str) -> None:
        """Delete (Status DELETED) the payment made under ``reference``, if there is one."""
        with self._calling(f"bill payment {reference}"):
            rows = self.client.list("Payments", where=f'Reference=="{_quoted(reference)}"',
                                    record=reference)
            for row in rows:
                if row.get("Status") != "DELETED":
                    self.client.call("POST", f"{API}/Payments/{row['PaymentID']}",
                                     content=dumps({"Status": "DELETED"}),
                                     headers={"content-type": "application/json"},
                                     record=reference)

    def _contact(self, contact: Contact, key: str) -> str:
        rows = self.client.list("Contacts", where=f'Name=="{_quoted(contact.name)}"',
                                record=contact.name)
        if rows:
            return str(rows[0]["ContactID"])
        saved = self.client.create("Contacts", _contact(contact), idempotency_key=key,
                                   record=contact.name)
        return str(saved["ContactID"])


def _contact(contact: Contact) -> Obj:
    element: Obj = {"Name": contact.name,
                    "ContactStatus": "ACTIVE" if contact.active else "ARCHIVED",
                    "IsCustomer": contact.kind in ("customer", "both"),
                    "IsSupplier": contact.kind in ("vendor", "both")}
    if contact.emails:
        element["EmailAddress"] = contact.emails[0]
    if contact.tax_id:
        element["TaxNumber"] = contact.tax_id
    if contact.currency:
        element["DefaultCurrency"] = contact.currency
    return element


def _updated(obj: Obj) -> dt.datetime | None:
    stamp = obj.get("UpdatedDateUTC")
    return None if stamp is None else parse_stamp(str(stamp))
