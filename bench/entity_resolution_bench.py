"""Entity resolution benchmark: precision, recall and F1 of proposed contact merges.

Generates a labelled, noisy list of contacts of three systems (a CRM and two
accounting packages): every company appears one to five times with its name
written differently (legal forms dropped or changed, upper case, punctuation,
abbreviations, typos, acronyms, its web domain, region words) and with some of its
tax number, IBAN, company or free-mail email address and country. Planted traps
must stay apart: subsidiaries that share a name but not a tax number, different
companies that share a name in different countries, and overlapping names such
as Amazon Web Services and Amazon.com.

Scores the proposed merges pairwise (every two records placed together) against
the labels, next to a baseline measured in the same run: records grouped by their
exact normalized name.

    python bench/entity_resolution_bench.py [--companies 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from stdnum import iban, luhn
from stdnum.iso7064 import mod_11_10

from ledgerbridge.documents.common import Address
from ledgerbridge.quality.names import name_forms
from ledgerbridge.quality.records import ContactRecord
from ledgerbridge.quality.resolve import resolve

TARGET_F1 = 0.95
TARGET_PRECISION = 0.98
SYSTEMS = ("crm", "books", "xero")
FIRST = ("Aurora Basalt Cobalt Dorado Ember Falcon Granite Harbor Indigo Juniper Kestrel "
         "Lumen Meridian Nimbus Obsidian Pinnacle Quarry Redwood Sierra Tundra Umber Vertex "
         "Willow Xenon Yarrow Zephyr Alder Birch Cedar Delta Elm Fjord Glacier Heron Iris "
         "Jasper Krypton Lagoon Maple Nova Onyx Prairie Quartz Raven Sable Talon Ursa "
         "Vesper Walnut Yukon Zenith Atlas Beacon Cascade Drift Echo Flint Grove Hollow "
         "Ivory Jade Keystone Larch Mesa Northstar Orchid Pebble Quill Ridge Summit Thistle "
         "Upland Valley Wren Anvil Bramble Copper Dune Evergreen Foxglove Gale Hazel Inlet "
         "Jetty Knoll Linden Marlin Nectar Oakmont Pioneer Rook Saffron Timber Vale").split()
SECOND = ("Bay Bridge Creek Crest Field Forge Gate Hill Lake Point Rock Stone Water Wood "
          "Line Peak Port Spring Star Works").split()
SECTORS = ("Analytics", "Logistics", "Consulting", "Foods", "Software", "Industries",
           "Partners", "Holdings", "Services", "Manufacturing", "Technologies", "Systems",
           "Management", "Group", "Engineering", "Media", "Energy", "Labs", "Design",
           "Robotics", "Pharma", "Textiles", "Freight", "Capital", "Studios")
ABBREVIATIONS = {"Services": "Svcs", "Manufacturing": "Mfg", "Technologies": "Tech",
                 "Systems": "Sys", "Management": "Mgmt", "Group": "Grp", "Holdings": "Hldgs",
                 "Engineering": "Eng"}
FORMS = {"US": ("Inc", "Inc.", "LLC", "Corp"), "DE": ("GmbH", "AG"), "FR": ("SAS", "SARL"),
         "GB": ("Ltd", "Limited", "PLC"), "NL": ("BV", "B.V.")}
TLD = {"US": "com", "DE": "de", "FR": "fr", "GB": "co.uk", "NL": "nl"}
FREE = ("gmail.com", "outlook.com", "yahoo.com", "gmx.de")


@dataclass(frozen=True, slots=True)
class Company:
    """A true company: what its records are made from."""

    label: int
    words: tuple[str, ...]
    form: str
    country: str
    tax_id: str | None
    iban: str | None
    domain: str
    always_tax: bool = False
    always_country: bool = False


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def tax_number(rng: random.Random, country: str) -> str | None:
    """A valid tax number of ``country`` (None where none is generated)."""
    if country == "DE":
        body = str(rng.randint(1, 9)) + _digits(rng, 7)
        return f"DE{body}{mod_11_10.calc_check_digit(body)}"
    if country == "FR":
        siren = str(rng.randint(1, 9)) + _digits(rng, 7)
        siren += luhn.calc_check_digit(siren)
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    if country == "US":
        return f"{rng.choice(('12', '20', '45', '54', '81'))}-{_digits(rng, 7)}"
    return None


def iban_number(rng: random.Random, country: str) -> str | None:
    """A valid IBAN (German or French bank account) or None."""
    if country == "DE":
        bban = _digits(rng, 18)
    elif country == "FR":
        bban = _digits(rng, 23)
    else:
        return None
    return f"{country}{iban.calc_check_digits(f'{country}00{bban}')}{bban}"


def _name(rng: random.Random) -> tuple[str, ...]:
    words = [rng.choice(FIRST)]
    if rng.random() < 0.5:
        words.append(rng.choice(SECOND))
    words.append(rng.choice(SECTORS))
    return tuple(words)


def _company(rng: random.Random, label: int, words: tuple[str, ...], country: str,
             domains: set[str], **flags: bool) -> Company:
    short = "".join(words[:2]).lower() + "." + TLD[country]
    domain = short if short not in domains else "".join(words).lower() + "." + TLD[country]
    domains.add(domain)
    return Company(label, words, rng.choice(FORMS[country]), country,
                   tax_number(rng, country), iban_number(rng, country), domain, **flags)


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 7]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    at = rng.randrange(1, len(w) - 2)
    change = rng.choice(("swap", "drop", "double"))
    if change == "swap":
        w = w[:at] + w[at + 1] + w[at] + w[at + 2:]
    elif change == "drop":
        w = w[:at] + w[at + 1:]
    else:
        w = w[:at] + w[at] + w[at:]
    words[i] = w
    return " ".join(words)


def _variant(rng: random.Random, c: Company) -> str:
    base = " ".join(c.words)
    roll = rng.random()
    if roll < 0.22:
        return f"{base} {c.form}"
    if roll < 0.40:
        return base
    if roll < 0.50:
        return f"{base} {c.form}".upper()
    if roll < 0.58:
        return f"{base}, {rng.choice(FORMS[c.country])}"
    if roll < 0.70:
        short = " ".join(ABBREVIATIONS.get(w, w) for w in c.words)
        return f"{short} {c.form}" if short != base else f"{base.lower()} {c.form}"
    if roll < 0.82:
        return _typo(rng, f"{base} {c.form}")
    if roll < 0.88:
        return c.domain
    if roll < 0.94 and len(c.words) >= 3:
        return "".join(w[0] for w in c.words).upper() + f" {c.form}"
    return f"{base} {rng.choice(('EMEA', 'USA', 'Europe'))}"


def _record(rng: random.Random, c: Company, system: str, n: int) -> ContactRecord:
    emails: list[str] = []
    roll = rng.random()
    if roll < 0.55:
        emails.append(f"{rng.choice(('billing', 'accounts', 'info', 'ap'))}@{c.domain}")
    elif roll < 0.65:
        emails.append(f"{c.words[0].lower()}.{n}@{rng.choice(FREE)}")
    country = c.country if c.always_country or rng.random() < 0.6 else None
    return ContactRecord(
        system, f"{system}-{n}", _variant(rng, c),
        tax_id=c.tax_id if c.always_tax or rng.random() < 0.45 else None,
        iban=c.iban if rng.random() < 0.2 else None,
        emails=tuple(emails),
        addresses=(Address(country=country),) if country else (),
    )


def _companies(rng: random.Random, count: int) -> list[Company]:
    countries = ("US", "DE", "FR", "GB", "NL")
    seen: set[str] = set()
    domains: set[str] = set()
    companies: list[Company] = []
    while len(companies) < count:
        words = _name(rng)
        core = name_forms(" ".join(words)).core
        if core in seen:
            continue
        seen.add(core)
        label = len(companies)
        trap = rng.random()
        if trap < 0.05:  # subsidiaries: one name, two countries, two tax numbers
            home, abroad = rng.sample(("US", "DE", "FR"), 2)
            for i, country in enumerate((home, abroad)):
                companies.append(_company(rng, label + i, words, country, domains,
                                          always_tax=True, always_country=True))
        elif trap < 0.10:  # unrelated companies sharing a name, in two countries
            first, second = rng.sample(("GB", "NL", "US", "DE"), 2)
            for i, country in enumerate((first, second)):
                companies.append(_company(rng, label + i, words, country, domains,
                                          always_country=True))
        else:
            companies.append(_company(rng, label, words, rng.choice(countries), domains))
    return companies


def _amazon(label: int) -> list[tuple[ContactRecord, int]]:
    """The two Amazons: four names of one cloud vendor, and the retailer apart."""
    lu, us = (Address(country="LU"),), (Address(country="US"),)
    aws, retail = label, label + 1
    return [
        (ContactRecord("crm", "amz-1", "Amazon Web Services",
                       emails=("billing@aws.amazon.com",)), aws),
        (ContactRecord("books", "amz-2", "AWS EMEA SARL", addresses=lu,
                       emails=("aws-emea@aws.amazon.com",)), aws),
        (ContactRecord("xero", "amz-3", "AMAZON WEB SERVICES INC", addresses=us), aws),
        (ContactRecord("books", "amz-4", "aws.amazon.com"), aws),
        (ContactRecord("crm", "amz-5", "Amazon.com", addresses=us), retail),
        (ContactRecord("xero", "amz-6", "Amazon.com, Inc.", addresses=us,
                       emails=("orders@amazon.com",)), retail),
    ]


def generate(companies: int, seed: int) -> list[tuple[ContactRecord, int]]:
    """Labelled contact records: (record, true company label)."""
    rng = random.Random(seed)
    labelled: list[tuple[ContactRecord, int]] = []
    counter = 0
    truth = _companies(rng, companies)
    for c in truth:
        copies = rng.choices((1, 2, 3, 4, 5), weights=(20, 35, 30, 10, 5))[0]
        start = rng.randrange(3)  # a tenth of the copies repeat a system: duplicates within
        systems = [rng.choice(SYSTEMS) if rng.random() < 0.1 else SYSTEMS[(start + i) % 3]
                   for i in range(copies)]
        for system in systems:
            counter += 1
            labelled.append((_record(rng, c, system, counter), c.label))
    labelled += _amazon(len(truth))
    rng.shuffle(labelled)
    return labelled


def pairs(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    """Every two record keys placed in one group."""
    return {tuple(sorted(p)) for g in groups for p in combinations(sorted(g), 2)}


def score(proposed: set[tuple[str, str]], true: set[tuple[str, str]]) -> tuple[float, ...]:
    """Pairwise precision, recall and F1."""
    hits = len(proposed & true)
    precision = hits / len(proposed) if proposed else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def baseline_groups(records: list[ContactRecord]) -> list[list[str]]:
    """The baseline: record keys grouped by exact normalized name."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for r in records:
        by_name[name_forms(r.name).core].append(r.key)
    return list(by_name.values())


def main() -> None:
    """Generate, resolve, score against the labels and the baseline, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    labelled = generate(args.companies, args.seed)
    records = [r for r, _ in labelled]
    by_label: dict[int, list[str]] = defaultdict(list)
    for r, label in labelled:
        by_label[label].append(r.key)
    true = pairs(by_label.values())
    systems = len({r.connection for r in records})
    print(f"{len(records)} records of {len(by_label)} companies in {systems} systems; "
          f"{len(true)} true pairs")

    started = time.perf_counter()
    baseline = score(pairs(baseline_groups(records)), true)
    base_seconds = time.perf_counter() - started
    started = time.perf_counter()
    clusters = resolve(records)
    seconds = time.perf_counter() - started
    ours = score(pairs([r.key for r in c.records] for c in clusters), true)

    print(f"{'method':<26}{'precision':>10}{'recall':>10}{'F1':>10}{'seconds':>10}")
    for label, (p, r, f), s in (("exact normalized name", baseline, base_seconds),
                                ("resolve", ours, seconds)):
        print(f"{label:<26}{p:>10.4f}{r:>10.4f}{f:>10.4f}{s:>10.3f}")
    print(f"F1 ratio against the baseline: {ours[2] / baseline[2]:.2f}x; "
          f"time ratio: {seconds / base_seconds:.0f}x")
    met = ours[2] >= TARGET_F1 and ours[0] >= TARGET_PRECISION
    print(f"target F1 >= {TARGET_F1} with precision >= {TARGET_PRECISION}: "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
