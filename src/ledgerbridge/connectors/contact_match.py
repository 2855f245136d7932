"""Find the contact an accounting package already holds before creating a duplicate.

Pushing a customer or vendor first looks for it among the package's contacts, by
evidence in this order: our external id in the contact's reference field (put
there by an earlier push or link), the tax id, the email address, then the name
(rapidfuzz ``token_sort_ratio`` of names without case, punctuation or legal
suffixes, from :data:`NAME_MATCH`). The first kind of evidence that finds
anything decides: one contact is linked; several are an ambiguity, refused with
an error naming them (the command stops in the exceptions queue, nothing is
guessed); none passes to the next kind. Nothing found at all: create.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from ledgerbridge.reconcile.candidates import normalize_name
from ledgerbridge.sync.errors import FatalError

__all__ = ["NAME_MATCH", "ContactFacts", "ContactMatch", "match_contact"]

NAME_MATCH = 92  # name similarity (0-100) from which two names are the same party


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What identifies a contact, ours or the package's (``id``: the package's id)."""

    id: str
    name: str
    reference: str | None = None
    tax_id: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class ContactMatch:
    """The package's contact to link to, and the evidence."""

    id: str
    reason: str


def _tax(value: str | None) -> str | None:
    return re.sub(r"[^0-9A-Z]", "", value.upper()) or None if value else None


def _email(value: str | None) -> str | None:
    return value.strip().casefold() or None if value else None


def _name_score(a: str, b: str) -> int:
    return round(fuzz.token_sort_ratio(normalize_name(a), normalize_name(b)))


_EVIDENCE: tuple[tuple[str, Callable[[ContactFacts, ContactFacts], bool]], ...] = (
    ("reference", lambda o, t: bool(o.reference) and o.reference == t.reference),
    ("tax id", lambda o, t: _tax(o.tax_id) is not None and _tax(o.tax_id) == _tax(t.tax_id)),
    ("email", lambda o, t: _email(o.email) is not None and _email(o.email) == _email(t.email)),
    ("name", lambda o, t: bool(o.name and t.name) and _name_score(o.name, t.name) >= NAME_MATCH),
)


def match_contact(ours: ContactFacts, theirs: Iterable[ContactFacts], *, system: str,
                  connection: str | None = None) -> ContactMatch | None:
    """The one contact of ``theirs`` that is ``ours``; None when there is none.

    Raises FatalError naming the candidates when the deciding evidence finds
    several (``system`` names the package in the message).
    """
    pool = list(theirs)
    for label, same in _EVIDENCE:
        found = [t for t in pool if same(ours, t)]
        if len(found) == 1:
            return ContactMatch(found[0].id, f"same {label} as {system} contact "
                                             f"{found[0].id} ({found[0].name})")
        if found:
            names = ", ".join(f"{t.id} ({t.name})" for t in found[:6])
            raise FatalError(
                f"{ours.name!r} could be any of {len(found)} {system} contacts with the same "
                f"{label}: {names}; link one by hand (put {ours.reference!r} in its reference "
                "field) or merge them, then retry", connection=connection, record=ours.reference)
    return None
