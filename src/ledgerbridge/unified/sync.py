"""Keeping the ledger and a package in step through the unified interface.

``push`` sends ledger records to the package (contacts, then bills and invoices,
then payments, so references can be named by the package's own ids) and links each
to its copy. Bill lines name the package's expense accounts through the mapping's
``targets:`` entry for the connection. Payments of bills are not sent as records:
each settlement of a linked bill is paid on the package's copy by
:mod:`ledgerbridge.unified.bill_payments`, which ``push`` runs last.

``pull`` reads the package's changed records and brings each linked one
back into the ledger as a new version of the ledger's document: the ledger reverses
the old entry and posts the new one. A record changed on both sides since they last
agreed is a conflict: each differing field is decided by the connection's
source-of-truth rule (:func:`ledgerbridge.mapping.resolve`, which logs the loser to
``sync_log``), and the winner's value is written to whichever side lacked it.

Only fields both sides carry are brought back (``PULLED`` less the adapter's gaps):
a package that cannot hold a field never overwrites the ledger's value of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from ledgerbridge.documents import Bill, Document, DocumentError, Payment, Ref, parse_document
from ledgerbridge.mapping import resolve, rules_for_connection
from ledgerbridge.store.tables import connections, documents
from ledgerbridge.sync.connections import get_connection
from ledgerbridge.unified.bill_payments import settle_bills, target_accounts
from ledgerbridge.unified.errors import (
    AuthorizationExpired,
    BadRequest,
    PreconditionFailed,
    UnifiedError,
)
from ledgerbridge.unified.ledger_adapter import LedgerAdapter
from ledgerbridge.unified.links import find_link, save_link
from ledgerbridge.unified.model import DOCUMENT_KINDS, Outcome, Record, document_type
from ledgerbridge.unified.protocol import AccountingAdapter

__all__ = ["PULLED", "Bridge", "Outcome"]

PULLED: dict[str, tuple[str, ...]] = {
    "invoice": ("issue_date", "due_date", "memo"),
    "payment": ("date", "amount", "memo", "applications"),
    "contact": ("name", "emails", "phones", "active"),
}
"""Per document type, the fields a change in the package may bring into the ledger."""

_PAGE = 200
_KIND_OF = {type_: kind for kind, type_ in DOCUMENT_KINDS.items()}


@dataclass
class Bridge:
    """The ledger of one entity and one package connection, linked record by record.

    ``on_outcome`` is told of each record as it is done (a progress bar); ``outcomes``
    keeps them all.
    """

    engine: Engine
    target: AccountingAdapter
    accept_gaps: bool = False
    entity: str = "default"
    on_outcome: Callable[[Outcome], None] | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ledger = LedgerAdapter(self.engine, self.entity)
        with self.engine.connect() as conn:
            record = get_connection(conn, self.target.connection)
        self.connection_id = record.id
        self.system = record.system
        self.rules = rules_for_connection(record.system, record.mapping)
        self.accounts = target_accounts(record)

    def _done(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    # -- pushing -----------------------------------------------------------------------

    def push(self, kinds: tuple[str, ...] = ("contacts", "bills", "invoices", "payments")
             ) -> list[Outcome]:
        """Send every ledger record of ``kinds`` that changed since it was last sent.

        Records that came from the package itself (through its sync connection) are
        not sent back to it. With ``bills``, the settlements of linked bills not yet
        paid in the package are paid there (and undone ones deleted).
        """
        start = len(self.outcomes)
        for kind in kinds:
            for record in self._all(self.ledger, kind):
                if record.data.source.connection != self.target.connection \
                        and not _pays_bills(record.data):
                    self._push_one(kind, record)
        if "bills" in kinds and hasattr(self.target, "pay_bill"):
            for outcome in settle_bills(self.engine, self.target,
                                        connection_id=self.connection_id,
                                        accounts=self.accounts):
                self._done(outcome)
        return self.outcomes[start:]

    def _push_one(self, kind: str, record: Record, remote_version: str | None = None) -> None:
        name = _name(record.data)
        with self.engine.connect() as conn:
            link = find_link(conn, self.connection_id, kind, document_id=int(record.id))
        if link is not None and link.local_version == record.version and remote_version is None:
            self._done(Outcome(kind, name, "unchanged"))
            return
        try:
            document = self._outgoing(record.data)
            if link is None:
                saved = self.target.create(kind, document, accept_gaps=self.accept_gaps)
            else:
                saved = self.target.update(kind, link.remote_id, document,
                                           version=remote_version or link.remote_version,
                                           accept_gaps=self.accept_gaps)
        except PreconditionFailed:
            self._done(Outcome(kind, name, "conflict", "changed in the package too: "
                                         "pull first, then push"))
            return
        except AuthorizationExpired:
            raise
        except UnifiedError as exc:
            self._done(Outcome(kind, name, "failed", exc.detail))
            return
        with self.engine.begin() as conn:
            save_link(conn, self.connection_id, kind, int(record.id), saved.id,
                      remote_version=saved.version, local_version=record.version)
        action = "created" if link is None else "updated" if remote_version is None \
            else "pushed_back"
        self._done(Outcome(kind, name, action, gaps=saved.unsupported_fields))

    def _ledger_id(self, connection: str, type_: str, external_id: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.min(documents.c.id))
                .join(connections, connections.c.id == documents.c.connection_id)
                .where(connections.c.name == connection, documents.c.type == type_,
                       documents.c.external_id == external_id)).scalar()

    def _remote_ref(self, ref: Ref | None, connection: str, type_: str, kind: str) -> Ref | None:
        """``ref`` (a ledger reference) as the package's id, when the record is linked."""
        if ref is None or ref.external_id is None:
            return ref
        first = self._ledger_id(connection, type_, ref.external_id)
        with self.engine.connect() as conn:
            link = None if first is None else find_link(conn, self.connection_id, kind,
                                                        document_id=first)
        return ref if link is None else Ref(id=link.remote_id, name=ref.name)

    def _outgoing(self, document: Document) -> Document:
        """A ledger document with references to linked records as the package's ids."""
        source = document.source.connection
        changes: dict[str, Any] = {"id": None}
        for name in ("customer", "vendor", "contact"):
            if name in type(document).model_fields:
                changes[name] = self._remote_ref(getattr(document, name), source, "contact",
                                                 "contacts")
        if isinstance(document, Bill):
            changes["lines"] = self._bill_lines(document)
        if isinstance(document, Payment):
            changes["applications"] = tuple(a.model_copy(update={"document": self._remote_ref(
                a.document, source, a.document_type, _KIND_OF[a.document_type])})
                for a in document.applications)
        return document.model_copy(update=changes)

    def _bill_lines(self, bill: Bill) -> tuple[Any, ...]:
        """The bill's lines naming the package's accounts for the accounts they post to.

        Without a ``targets:`` entry for the connection the lines go as they are.
        """
        if not self.accounts:
            return bill.lines
        with self.engine.connect() as conn:
            source = get_connection(conn, bill.source.connection)
        rules = rules_for_connection(source.system, source.mapping)
        default = rules.config.effective_accounts([]).get("expense") or ""
        lines = []
        for n, line in enumerate(bill.lines, 1):
            ours = rules.hint(line.account, default)[0]
            if ours not in self.accounts:
                raise BadRequest(f"bill {bill.source.connection}/{bill.source.external_id} "
                                 f"line {n} posts to our account {ours}, which has no package "
                                 f"account: add it under targets.{self.target.connection}"
                                 ".accounts")
            lines.append(line.model_copy(update={"account": self.accounts[ours]}))
        return tuple(lines)

    # -- pulling -----------------------------------------------------------------------

    def pull(self, kinds: tuple[str, ...] = ("contacts", "invoices", "payments")) -> list[Outcome]:
        """Bring the package's changes to linked records into the ledger."""
        start = len(self.outcomes)
        for kind in kinds:
            for remote in self._all(self.target, kind):
                self._pull_one(kind, remote)
        return self.outcomes[start:]

    def _fields(self, type_: str) -> tuple[str, ...]:
        gaps = self.target.gaps.get(type_, ())
        return tuple(f for f in PULLED.get(type_, ()) if not any(
            g.field == f or g.field.startswith(f"{f}.") for g in gaps))

    def _pull_one(self, kind: str, remote: Record) -> None:
        with self.engine.connect() as conn:
            link = find_link(conn, self.connection_id, kind, remote_id=remote.id)
        if link is None or link.remote_version == remote.version:
            return
        local = self.ledger.get(kind, str(link.document_id))
        name = _name(local.data)
        ours = local.data.model_dump(mode="json")
        theirs = self._incoming(remote.data).model_dump(mode="json")
        both = local.version != link.local_version
        merged, decided, lost = dict(ours), [], []
        with self.engine.begin() as conn:
            for name_ in self._fields(local.data.type):
                if _same(ours.get(name_), theirs.get(name_)):
                    continue
                if not both:
                    merged[name_] = theirs.get(name_)
                    continue
                outcome = resolve(local.data.type, name_, ours.get(name_), theirs.get(name_),
                                  theirs_from=self.system, rules=self.rules, conn=conn,
                                  connection_id=self.connection_id, record=name)
                merged[name_] = outcome.value
                decided.append(f"{name_}: {outcome.winner}")
                if outcome.winner != self.system:
                    lost.append(name_)
        if merged != ours:
            try:
                local = self.ledger.update(kind, local.id, parse_document(merged),
                                           version=local.version)
            except (DocumentError, UnifiedError) as exc:
                self._done(Outcome(kind, name, "failed", str(exc)))
                return
        if both:
            self._done(Outcome(kind, name, "conflict", "; ".join(decided)))
        if lost:  # the ledger's values won: the package must take them
            self._push_one(kind, local, remote_version=remote.version)
            return
        with self.engine.begin() as conn:
            save_link(conn, self.connection_id, kind, int(local.id), remote.id,
                      remote_version=remote.version, local_version=local.version)
        if not both:
            self._done(Outcome(kind, name, "pulled"))

    def _incoming(self, document: Document) -> Document:
        """A package document whose payment applications name the ledger's invoices."""
        if not isinstance(document, Payment):
            return document
        applications = []
        for application in document.applications:
            ref = application.document
            kind = _KIND_OF[application.document_type]
            with self.engine.connect() as conn:
                link = find_link(conn, self.connection_id, kind,
                                 remote_id=ref.id or ref.external_id)
            if link is not None:
                ours = self.ledger.get(kind, str(link.document_id)).data
                ref = Ref(external_id=ours.source.external_id)
            applications.append(application.model_copy(update={"document": ref}))
        return document.model_copy(update={"applications": tuple(applications)})

    @staticmethod
    def _all(adapter: AccountingAdapter, kind: str) -> list[Record]:
        document_type(kind)
        found: list[Record] = []
        cursor = None
        while True:
            page = adapter.list(kind, cursor=cursor, limit=_PAGE)
            found += page.items
            cursor = page.next_cursor
            if cursor is None:
                return found


def _same(ours: Any, theirs: Any) -> bool:
    """Whether two JSON values say the same; references compare by what they point at."""
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if "external_id" in ours or "external_id" in theirs:
            return ours.get("external_id") == theirs.get("external_id")
        return all(_same(ours.get(k), theirs.get(k)) for k in ours.keys() | theirs.keys())
    return ours == theirs


def _pays_bills(document: Document) -> bool:
    """Whether ``document`` is a payment of bills only (paid as bill payments instead)."""
    return isinstance(document, Payment) and bool(document.applications) and all(
        a.document_type == "bill" for a in document.applications)


def _name(document: Document) -> str:
    return f"{document.type} {document.source.connection}/{document.source.external_id}"
