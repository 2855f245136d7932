"""Contact records as entity resolution and the audit read them.

A record is one contact of one connected system: the current version of a stored
``Contact`` document, keyed by ``connection:external_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from ledgerbridge.documents import Contact
from ledgerbridge.documents.common import Address
from ledgerbridge.quality.keys import company_domain, tax_id
from ledgerbridge.quality.names import NameForms, name_forms
from ledgerbridge.store.tables import connections, documents

__all__ = ["ContactRecord", "load_records", "record_key"]


def record_key(connection: str, external_id: str) -> str:
    """The key a contact record is known by: ``hubspot:501``."""
    return f"{connection}:{external_id}"


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One contact of one system, with the facts matching needs.

    Attributes:
        connection, external_id: where it lives.
        name: its display name there.
        tax_id, iban: as the system gives them (not yet validated).
        emails: its email addresses.
        addresses: its postal addresses.
        currency: the currency it is invoiced or paid in.
        kind: customer, vendor or both.

    """

    connection: str
    external_id: str
    name: str
    tax_id: str | None = None
    iban: str | None = None
    emails: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    currency: str | None = None
    kind: str = "vendor"
    forms: NameForms = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "forms", name_forms(self.name))

    @property
    def key(self) -> str:
        """``connection:external_id``."""
        return record_key(self.connection, self.external_id)

    @property
    def country(self) -> str | None:
        """The country of its first address that gives one."""
        return next((a.country for a in self.addresses if a.country), None)

    @property
    def tax_key(self) -> str | None:
        """Its tax number as a key when the number is valid."""
        return tax_id(self.tax_id, self.country).key if self.tax_id else None

    @property
    def domains(self) -> frozenset[str]:
        """Company email domains, plus the name itself when the name is a domain."""
        found = {d for d in map(company_domain, self.emails) if d}
        if self.forms.domain:
            found.add(self.forms.domain)
        return frozenset(found)

    @classmethod
    def of(cls, contact: Contact) -> ContactRecord:
        """The record of a canonical contact document."""
        return cls(contact.source.connection, contact.source.external_id, contact.name,
                   tax_id=contact.tax_id, iban=contact.iban, emails=contact.emails,
                   addresses=contact.addresses, currency=contact.currency, kind=contact.kind)


def load_records(conn: Connection, entity_id: int,
                 connection: str | None = None) -> Iterator[ContactRecord]:
    """Current contacts of the entity's connections (or of one), by connection and id."""
    query = (
        select(documents.c.data)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(connections.c.entity_id == entity_id, documents.c.type == "contact",
               documents.c.status == "current")
        .order_by(connections.c.name, documents.c.external_id)
    )
    if connection is not None:
        query = query.where(connections.c.name == connection)
    for (data,) in conn.execute(query):
        yield ContactRecord.of(Contact.model_validate_json(data))
