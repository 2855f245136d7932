"""Categorization learns tax codes: from bills and coded lines, into split bookings."""

import datetime as dt
import json

from sqlalchemy import select

from ledgerbridge.documents import parse_document
from ledgerbridge.intake.coding import code_lines
from ledgerbridge.intelligence.categorize import Categorizer, Transaction
from ledgerbridge.intelligence.categorize.coding import apply, code_line, suggest, train
from ledgerbridge.intelligence.categorize.history import training_set
from ledgerbridge.intelligence.categorize.rulebook import edit, rules
from ledgerbridge.ledger import Ledger
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.mapping import load_rules
from ledgerbridge.store import make_engine
from ledgerbridge.store.tables import accounts, journal_entries, journal_lines
from tests.intelligence.categorize.books import START, coded_history
from tests.mapping.helpers import add_connection_row
from tests.mapping.helpers import apply as apply_document
from tests.reconcile.test_cli_reconcile import run
from tests.reconcile.test_reconcile import balance, bank

MAPPING = load_rules('accounts: {recoverable_tax: "2200"}')


def office_bills(ledger, count=6):
    """Bills from Office World: paper to 6300 at GB 20 %, each posted by the posting rules."""
    connection = add_connection_row(ledger, "books")
    for n in range(count):
        apply_document(ledger, connection, MAPPING, {
            "type": "bill", "source": {"connection": "books", "object_type": "bill",
                                       "external_id": f"OW-{n}"},
            "vendor": {"external_id": "ow", "name": "Office World"}, "number": f"OW-{n}",
            "issue_date": (START + dt.timedelta(days=3 * n)).isoformat(), "currency": "USD",
            "lines": [{"description": "Printer paper", "amount": f"{50 + n}.00",
                       "account": "6300",
                       "tax_lines": [{"jurisdiction": "GB", "percent": "20",
                                      "amount": f"{(50 + n) * 0.2:.2f}"}]}]})


def lines_of(ledger, bank_line_id):
    """(account, amount, tax code) of the entry that booked a bank line, bank line first."""
    with ledger.engine.connect() as conn:
        entry = conn.execute(select(journal_entries.c.id).where(
            journal_entries.c.object_type == "bank_line",
            journal_entries.c.external_id == str(bank_line_id),
            journal_entries.c.reverses_id.is_(None)).order_by(
            journal_entries.c.id.desc())).scalars().first()
        return [tuple(r) for r in conn.execute(select(
            accounts.c.code, journal_lines.c.amount, journal_lines.c.tax_code).join(
            accounts, accounts.c.id == journal_lines.c.account_id).where(
            journal_lines.c.entry_id == entry).order_by(journal_lines.c.line_no))]


def test_a_code_learned_from_bills_is_proposed_on_a_bank_line_of_the_same_vendor(ledger):
    coded_history(ledger)
    office_bills(ledger)
    with ledger.engine.connect() as conn:
        data = training_set(conn, ledger)
    assert [c for c, a in zip(data.tax_codes, data.accounts, strict=True) if a == "6300"] == [
        "GB-20"] * 6
    assert {c for c, a in zip(data.tax_codes, data.accounts, strict=True) if a != "6300"} == {
        None}
    trained = train(ledger)
    assert "tax_accuracy" in trained.version.metrics
    line = bank(ledger, "-120.00", "CARD 4411 OFFICE WORLD", "Office World", START)
    _, [item] = suggest(ledger)
    best = item.suggestions[0]
    assert (best.account, best.tax_code, best.tax_confidence) == ("6300", "GB-20", 1.0)
    assert "tax GB-20: all 6 past lines of 6300" in best.reasons
    result = apply(ledger, threshold=0.5)
    assert result.coded == 1
    assert lines_of(ledger, line) == [("1010", -12000, None), ("6300", 10000, "GB-20"),
                                      ("2200", 2000, "GB-20")]


def test_split_bank_lines_teach_their_code_and_versions_reproduce_it(ledger):
    coded_history(ledger)
    office_bills(ledger)
    train(ledger, seed=3)
    for n in range(3):
        bank(ledger, f"-{80 + n}.00", f"OFFICE WORLD {n}", "Office World", START)
    apply(ledger, threshold=0.5)
    with ledger.engine.connect() as conn:
        data = training_set(conn, ledger)
    banked = [c for c, s in zip(data.tax_codes, data.sources, strict=True)
              if s.startswith("bank:") and c]
    assert banked == ["GB-20"] * 3
    first, again = train(ledger, seed=3), train(ledger, seed=3)
    assert first.version.fingerprint == again.version.fingerprint
    bank(ledger, "-70.00", "OFFICE WORLD 9", "Office World", START)
    _, one = suggest(ledger, version=first.version.version)
    _, two = suggest(ledger, version=again.version.version)
    assert one == two and one[0].suggestions[0].tax_code == "GB-20"


def test_a_correction_sets_the_tax_code_and_it_is_learned_at_once(ledger):
    coded_history(ledger)
    office_bills(ledger)
    train(ledger)
    line = bank(ledger, "-110.00", "HOTEL LUX 1", "Hotel Lux", START)
    assert code_line(ledger, line, "6350", "GB-10") is True
    assert lines_of(ledger, line) == [("1010", -11000, None), ("6350", 10000, "GB-10"),
                                      ("2200", 1000, "GB-10")]
    bank(ledger, "-100.00", "HOTEL LUX 2", "Hotel Lux", START)
    _, [item] = suggest(ledger)
    best = item.suggestions[0]
    assert (best.account, best.source, best.tax_code, best.tax_confidence) == (
        "6350", "memory", "GB-10", 1.0)
    # "NONE" takes the code off: the line is booked gross
    assert code_line(ledger, line, "6350", "NONE") is True
    assert lines_of(ledger, line) == [("1010", -11000, None), ("6350", 11000, None)]
    assert balance(ledger, "2200") == 6 * 0 + sum((50 + n) * 20 for n in range(6))


def test_mined_rules_propose_a_stable_tax_code(ledger):
    coded_history(ledger)
    office_bills(ledger)
    train(ledger, min_support=5)
    with ledger.engine.begin() as conn:
        found = {str(r): r for r in rules(conn, ledger)}
        office = found["counterparty contains OFFICE -> 6300 tax GB-20"]
        assert office.bank_rule().tax_code == "GB-20"
        assert found["counterparty contains GUSTO -> 6010"].tax_code is None
        assert edit(conn, ledger, office.id, tax_code="NONE").tax_code is None
        assert edit(conn, ledger, office.id, tax_code="GB-5").tax_code == "GB-5"


def _txn(text, amount):
    return Transaction(text=text, counterparty=None, amount=amount, currency="GBP",
                       date=dt.date(2026, 3, 2))


def test_an_account_with_several_codes_lets_the_code_model_choose_among_them():
    past = [(_txn(f"TESCO FOOD {n}", -1000 - n), "6350", "ZERO") for n in range(12)]
    past += [(_txn(f"TESCO WINE {n}", -1000 - n), "6350", "GB-20") for n in range(12)]
    past += [(_txn(f"INSURER {n}", -5000 - n), "6500", "EXEMPT") for n in range(12)]
    model = Categorizer.train([t for t, _, _ in past], [a for _, a, _ in past],
                              tax_codes=[c for _, _, c in past], seed=0)
    [[food, *_]] = model.suggest([_txn("TESCO FOOD 99", -1200)])
    [[wine, *_]] = model.suggest([_txn("TESCO WINE 99", -1200)])
    assert (food.account, food.tax_code) == ("6350", "ZERO")
    assert (wine.account, wine.tax_code) == ("6350", "GB-20")
    assert 0.5 < wine.tax_confidence <= 1 and "among the 2 codes 6350 took" in wine.reasons[-1]
    guess = model.tax_for(_txn("TESCO WINE 98", -1100), "6500")
    assert (guess.code, guess.confidence) == ("EXEMPT", 1.0)
    again = Categorizer.from_bytes(model.to_bytes())
    assert again.suggest([_txn("TESCO WINE 99", -1200)])[0][0] == wine


def test_intake_coding_proposes_the_learned_code_for_lines_without_tax(ledger):
    coded_history(ledger)
    office_bills(ledger)
    train(ledger)
    bill = parse_document({
        "type": "bill", "source": {"connection": "intake", "object_type": "bill",
                                   "external_id": "scan-1"},
        "vendor": {"external_id": "ow", "name": "Office World"}, "issue_date": "2026-03-02",
        "currency": "USD",
        "lines": [{"description": "Printer paper", "amount": "40.00"},
                  {"description": "Toner", "amount": "30.00",
                   "tax_lines": [{"jurisdiction": "GB", "percent": "5", "amount": "1.50"}]}]})
    with ledger.engine.connect() as conn:
        paper, toner = code_lines(conn, ledger, load_rules(None), bill, None)
    assert (paper.account, paper.tax_code) == ("6300", "GB-20")
    assert toner.tax_code is None  # the document states its tax: nothing to propose


def test_the_cli_shows_tax_codes_and_corrects_with_one(tmp_path, _sqlite_template):

    path = tmp_path / "ledger.db"
    path.write_bytes(_sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    ledger = Ledger.create(make_engine(url), name="Test Co", currency="USD",
                           chart=standard_chart())
    coded_history(ledger)
    office_bills(ledger)
    assert "tax codes" in run("categorize", "train", "--db", url).output
    line = bank(ledger, "-120.00", "OFFICE WORLD 77", "Office World", START)
    other = bank(ledger, "-55.00", "ZXQ VENDOR", None, START)
    listed = json.loads(run("categorize", "suggest", "-f", "json", "--db", url).stdout)
    row = next(r for r in listed["lines"] if r["line"] == line)
    assert (row["account_1"], row["tax_1"], row["tax_confidence_1"]) == ("6300", "GB-20", 100)
    said = run("categorize", "correct", other, "6350", "--tax-code", "GB-10", "--db", url).output
    assert "coded to 6350 with tax code GB-10" in said
    assert lines_of(ledger, other) == [("1010", -5500, None), ("6350", 5000, "GB-10"),
                                       ("2200", 500, "GB-10")]
    error = run("categorize", "correct", other, "6350", "--tax-code", "WEIRD", "--db", url,
                ok=False).output
    assert "tax code 'WEIRD' states no rate" in error
