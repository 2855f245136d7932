"""Entity resolution: contact records of every system grouped into one company each.

Evidence is gathered as scored links between two records:

* strong keys: the same canonical contact already (an accepted merge), the same
  valid tax number, the same IBAN, the same company email domain (never free mail),
  a name learned from an accepted merge;
* names: the same or nearly the same core name (rapidfuzz token-sort and squashed
  ratios), or one name the acronym of the other when the acronym is unambiguous.

Links are then applied strongest first, joining two groups only when nothing speaks
against it: two different valid tax numbers, or two accepted contacts, never join; a
link by name alone also stops at different company domains or different countries
(between the two records always; between the groups, a branch named with a region
word, "AWS EMEA", does not fix the company's country).
Because the check is made between whole groups, not just the two linked records, a
chain of similar names cannot glue two companies that evidence keeps apart.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from rapidfuzz import fuzz, process

from ledgerbridge.quality.keys import iban_problem
from ledgerbridge.quality.records import ContactRecord

__all__ = ["Cluster", "Known", "canonical_name", "resolve"]

NAME_CUTOFF = 90
"""The lowest name similarity (0-100) that counts as evidence at all."""

_STRONG = {"contact": (100, "already one contact"), "tax": (99, "same tax number"),
           "iban": (97, "same IBAN"), "alias": (96, "name learned from a merge"),
           "domain": (95, "same company email domain")}
_ACRONYM = 86
_DOMAIN_NAME = 88
_CHUNK = 512
_FULL_PAIRS = 30


@dataclass(frozen=True, slots=True)
class Known:
    """What accepted merges taught.

    Attributes:
        records: record key -> the canonical contact it belongs to.
        names: core name -> the canonical contact that name was learned for.

    """

    records: Mapping[str, int] = field(default_factory=dict)
    names: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cluster:
    """Records found to be one company.

    Attributes:
        records: the records, by key.
        confidence: 0-100, the weakest link that holds the group together.
        reasons: the kinds of evidence used.
        contact_id: the accepted contact some of the records already belong to.
        linked: keys of the records already linked to that contact.

    """

    records: tuple[ContactRecord, ...]
    confidence: int
    reasons: tuple[str, ...]
    contact_id: int | None
    linked: frozenset[str]

    @property
    def name(self) -> str:
        """The name proposed for the canonical contact."""
        return canonical_name(self.records)

    @property
    def units(self) -> int:
        """How many separate contacts it joins: the accepted one counts once."""
        return len(self.records) - len(self.linked) + (1 if self.linked else 0)


def canonical_name(records: Sequence[ContactRecord]) -> str:
    """The best name of a group: its most common core, properly cased, not a domain."""
    cores = Counter(r.forms.core for r in records)
    best = max(records, key=lambda r: (r.forms.domain is None, not r.name.isupper(),
                                       cores[r.forms.core], r.tax_key is not None,
                                       len(r.name), r.name))
    return best.name.strip()


@dataclass(slots=True)
class _Group:
    """A growing cluster during linking, with what speaks against joining it."""

    members: list[int]
    taxes: set[str]
    domains: set[str]
    countries: set[str]
    contact: int | None
    confidence: int = 100
    reasons: set[str] = field(default_factory=set)

    def refuses(self, other: _Group, by_name: bool) -> bool:
        if self.contact is not None and other.contact is not None:
            return self.contact != other.contact
        if self.taxes and other.taxes and not self.taxes & other.taxes:
            return True
        if not by_name:
            return False
        return bool((self.domains and other.domains and not self.domains & other.domains)
                    or (self.countries and other.countries
                        and not self.countries & other.countries))

    def absorb(self, other: _Group, confidence: int, reason: str) -> None:
        self.members += other.members
        self.taxes |= other.taxes
        self.domains |= other.domains
        self.countries |= other.countries
        self.contact = self.contact if self.contact is not None else other.contact
        self.confidence = min(self.confidence, other.confidence, confidence)
        self.reasons |= other.reasons | {reason}


_Edge = tuple[int, int, int, str, bool]  # confidence, i, j, reason, by name only


def _contact_edges(records: Sequence[ContactRecord], members: list[int],
                   known: Known) -> list[_Edge]:
    """Records of one accepted contact stay together; a record with a learned name joins."""
    linked = [i for i in members if records[i].key in known.records]
    if not linked:
        return []
    learned = [i for i in members if records[i].key not in known.records]
    (merged, why_merged), (alias, why_alias) = _STRONG["contact"], _STRONG["alias"]
    return ([(merged, linked[0], i, why_merged, False) for i in linked[1:]]
            + [(alias, linked[0], i, why_alias, False) for i in learned])


def _strong_edges(records: Sequence[ContactRecord], known: Known) -> list[_Edge]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        contact = known.records.get(r.key)
        if contact is not None:
            groups[("contact", str(contact))].append(i)
        elif r.forms.core in known.names:
            groups[("contact", str(known.names[r.forms.core]))].append(i)
        if r.tax_key:
            groups[("tax", r.tax_key)].append(i)
        if r.iban and not iban_problem(r.iban):
            groups[("iban", r.iban)].append(i)
        for domain in r.domains:
            groups[("domain", domain)].append(i)
    edges: list[_Edge] = []
    for (kind, _), members in groups.items():
        if kind == "contact":
            edges += _contact_edges(records, members, known)
            continue
        confidence, reason = _STRONG[kind]
        pairs = (combinations(members, 2) if len(members) <= _FULL_PAIRS
                 else zip(members, members[1:], strict=False))
        edges += [(confidence, i, j, reason, False) for i, j in pairs]
    return edges


def _similar_pairs(texts: list[str], scorer: Callable[..., float],
                   progress: Callable[[int], None] | None) -> set[tuple[int, int]]:
    """Index pairs whose texts score at least NAME_CUTOFF, computed in row chunks."""
    found: set[tuple[int, int]] = set()
    for start in range(0, len(texts), _CHUNK):
        block = process.cdist(texts[start:start + _CHUNK], texts, scorer=scorer,
                              score_cutoff=NAME_CUTOFF, dtype=np.uint8)
        for row, col in zip(*np.nonzero(block), strict=True):
            i = start + int(row)
            if i < col:
                found.add((i, int(col)))
        if progress is not None:
            progress(min(_CHUNK, len(texts) - start))
    return found


def _name_score(a: ContactRecord, b: ContactRecord) -> float:
    return max(fuzz.token_sort_ratio(a.forms.core, b.forms.core),
               fuzz.ratio(a.forms.squashed, b.forms.squashed))


def _acronym_pairs(records: Sequence[ContactRecord]) -> set[tuple[int, int]]:
    """Pairs where one name is the only core that the other name abbreviates."""
    spelled: dict[str, set[str]] = defaultdict(set)
    owners: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        if r.forms.acronym and len(r.forms.acronym) >= 3:
            spelled[r.forms.acronym].add(r.forms.core)
            owners[r.forms.acronym].append(i)
    pairs: set[tuple[int, int]] = set()
    for i, r in enumerate(records):
        core = r.forms.core
        if " " not in core and len(spelled.get(core, ())) == 1:
            pairs.update((min(i, j), max(i, j)) for j in owners[core])
    return pairs


def _domain_pairs(records: Sequence[ContactRecord]) -> set[tuple[int, int]]:
    """Pairs where one name is a web domain that begins only one company's name."""
    names = sorted((r.forms.squashed, i) for i, r in enumerate(records) if not r.forms.domain)
    keys = [squashed for squashed, _ in names]
    pairs: set[tuple[int, int]] = set()
    for i, r in enumerate(records):
        stem = r.forms.squashed
        if not r.forms.domain or len(stem) < 5:
            continue
        start, end = bisect_left(keys, stem), bisect_right(keys, stem + "\uffff")
        if len({records[j].forms.core for _, j in names[start:end]}) == 1:
            pairs.update((min(i, j), max(i, j)) for _, j in names[start:end])
    return pairs


def _name_edges(records: Sequence[ContactRecord],
                progress: Callable[[int], None] | None) -> list[_Edge]:
    cores = [r.forms.core for r in records]
    squashed = [r.forms.squashed for r in records]
    pairs = _similar_pairs(cores, fuzz.token_sort_ratio, progress)
    pairs |= _similar_pairs(squashed, fuzz.ratio, None)
    edges: list[_Edge] = []
    for i, j in pairs:
        a, b = records[i], records[j]
        score = _name_score(a, b)
        same = a.forms.core == b.forms.core
        confidence = 94 if same else int(score) - 6
        edges.append((confidence, i, j, "same name" if same else "similar names", True))
    edges += [(_ACRONYM, i, j, "acronym", True) for i, j in _acronym_pairs(records)]
    edges += [(_DOMAIN_NAME, i, j, "name is the web domain", True)
              for i, j in _domain_pairs(records)]
    return edges


def resolve(records: Iterable[ContactRecord], known: Known | None = None, *,
            min_confidence: int = 85,
            progress: Callable[[int], None] | None = None) -> list[Cluster]:
    """Group ``records`` into companies; every record ends in exactly one cluster.

    Only links of at least ``min_confidence`` join records. ``progress`` is called
    with the number of records compared so far, chunk by chunk.
    """
    known = known or Known()
    recs = list(records)
    groups = [_Group([i], {r.tax_key} if r.tax_key else set(), set(r.domains),
                     {r.country} if r.country and not r.forms.regional else set(),
                     known.records.get(r.key))
              for i, r in enumerate(recs)]
    owner = list(range(len(recs)))
    edges = _strong_edges(recs, known) + _name_edges(recs, progress)
    edges.sort(key=lambda e: (-e[0], e[1], e[2]))
    for confidence, i, j, reason, by_name in edges:
        if confidence < min_confidence:
            break
        a, b = owner[i], owner[j]
        if a == b or groups[a].refuses(groups[b], by_name):
            continue
        if by_name and recs[i].country and recs[j].country \
                and recs[i].country != recs[j].country:
            continue
        if len(groups[a].members) < len(groups[b].members):
            a, b = b, a
        groups[a].absorb(groups[b], confidence, reason)
        for member in groups[b].members:
            owner[member] = a
    clusters = []
    for index, group in enumerate(groups):
        if owner[index] != index:
            continue
        members = tuple(sorted((recs[i] for i in group.members), key=lambda r: r.key))
        linked = frozenset(r.key for r in members if r.key in known.records)
        clusters.append(Cluster(members, group.confidence if len(members) > 1 else 100,
                                tuple(sorted(group.reasons)), group.contact, linked))
    return clusters
