"""Company and person names reduced to comparable forms.

``"AMAZON WEB SERVICES, INC."`` and ``"Amazon Web Services"`` share the core
``"amazon web service"``; ``"AWS EMEA SARL"`` and ``"aws.amazon.com"`` reduce to
``"aws"``, which is the acronym of that core. Legal forms, region qualifiers,
punctuation, case, common abbreviations and plural endings are what differ
between systems for one company, so they are what is taken away.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import OSA

__all__ = ["LEGAL_FORMS", "NameForms", "display_key", "name_forms"]

LEGAL_FORMS = frozenset({
    "ab", "ag", "aps", "as", "bv", "bvba", "co", "company", "corp", "corporation", "cv",
    "gbr", "gmbh", "inc", "incorporated", "kg", "kgaa", "kk", "limited", "llc", "llp", "lp",
    "ltd", "ltda", "nv", "ohg", "oy", "oyj", "plc", "pte", "pty", "sa", "sarl", "sas",
    "sasu", "se", "sl", "spa", "sro", "srl", "ug",
})
"""Legal-form words dropped from the end of a name (after punctuation is removed)."""

# Spelled-out forms of legal suffixes, so "Acme Inc." and "Acme Incorporated" read alike.
_SHORT_FORMS = {"incorporated": "inc", "corporation": "corp", "limited": "ltd",
                "company": "co"}
_DOTTED_FORMS = re.compile(r"\b(s\.?a\.?r\.?l|s\.?a\.?s|s\.?p\.?a|s\.?r\.?l|b\.?v|n\.?v|"
                           r"l\.?l\.?c|l\.?l\.?p|s\.?a|a\.?g|a/s|p\.?l\.?c)\b\.?")
_ABBREVIATIONS = {
    "&": "and", "assoc": "associates", "bros": "brothers", "centre": "center",
    "ctr": "center", "dept": "department", "dev": "development", "eng": "engineering",
    "grp": "group", "hldgs": "holdings", "intl": "international", "mfg": "manufacturing",
    "mgmt": "management", "natl": "national", "sys": "systems", "svc": "services",
    "svcs": "services", "solns": "solutions", "tech": "technologies",
    "technology": "technologies", "univ": "university",
}
_LONG_FORMS = tuple(f for f in LEGAL_FORMS if len(f) >= 6)
_REGIONS = frozenset({"americas", "apac", "emea", "europe", "latam", "uk", "us", "usa"})
_STOPWORDS = frozenset({"and", "of", "the"})
# Legal forms that also open a name ("SARL Dupont", "AB Volvo").
_LEADING_FORMS = frozenset({"ab", "as", "bv", "nv", "sa", "sarl", "sas", "sasu", "spa", "srl"})
_DOMAIN = re.compile(r"^(?:www\.)?((?:[a-z0-9-]+\.)+)([a-z]{2,})$")
_WORD = re.compile(r"[a-z0-9]+|&")


@dataclass(frozen=True, slots=True)
class NameForms:
    """The comparable forms of one name.

    Attributes:
        core: significant words, space separated ("amazon web service").
        squashed: the core without spaces ("amazonwebservice"), for "Blue Harbor" vs
            "BlueHarbor" and domain names.
        acronym: initials of a core of two or more words ("aws"), else None.
        domain: the name itself when it is a web domain ("aws.amazon.com"), else None.
        regional: the name carries a region word ("EMEA", "USA"): a branch, whose
            address says where the branch is rather than where the company is.

    """

    core: str
    squashed: str
    acronym: str | None
    domain: str | None
    regional: bool = False


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    text = _DOTTED_FORMS.sub(lambda m: " " + re.sub(r"[./]", "", m.group(1)) + " ", text)
    text = text.replace("'", "")
    return [_ABBREVIATIONS.get(w, w) for w in _WORD.findall(text)]


def _misspelt_form(word: str) -> bool:
    """A long legal form with one typo ("limietd", "incorproated")."""
    return len(word) >= 6 and any(OSA.distance(word, form, score_cutoff=1) <= 1
                                  for form in _LONG_FORMS)


def _strip(words: list[str]) -> list[str]:
    """Drop a leading "the", legal forms and region words, keeping at least one word."""
    kept = list(words)
    while len(kept) > 1 and (kept[0] == "the" or kept[0] in _LEADING_FORMS):
        kept.pop(0)
    while len(kept) > 1 and (kept[-1] in LEGAL_FORMS or kept[-1] in _REGIONS
                             or kept[-1] == "and" or _misspelt_form(kept[-1])):
        kept.pop()
    return [w for i, w in enumerate(kept) if i == 0 or w not in _REGIONS]


@cache
def name_forms(name: str) -> NameForms:
    """The comparable forms of ``name`` (cached: the same names recur across systems)."""
    text = _ascii(name.strip())
    domain_match = _DOMAIN.match(text) if " " not in text else None
    if domain_match:
        labels = [x for x in domain_match.group(1).split(".") if x and x != "www"]
        # A subdomain names the business unit: aws.amazon.com is AWS, not Amazon.
        words = [w for w in re.split(r"-", labels[0]) if w]
        domain = text.removeprefix("www.")
    else:
        words, domain = _words(text), None
    regional = any(w in _REGIONS for w in words[1:])
    words = [_singular(w) for w in _strip(words)] or [text]
    significant = [w for w in words if w not in _STOPWORDS] or words
    acronym = "".join(w[0] for w in significant) if len(significant) > 1 else None
    core = " ".join(words)
    return NameForms(core, core.replace(" ", ""), acronym, domain, regional)


def display_key(name: str) -> str:
    """A name with only its spelling normalized: case, punctuation, spacing, legal form.

    Two names with the same key are one name written two ways ("Acme, Inc." and
    "ACME Incorporated").
    """
    return " ".join(_SHORT_FORMS.get(w, w) for w in _words(_ascii(name)))
