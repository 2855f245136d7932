import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.intelligence.anomalies import (
    FlagKind,
    ManualEntry,
    Outflow,
    Posting,
    Thresholds,
    detect,
    vendor_key,
)
from ledgerbridge.intelligence.anomalies.checks import (
    bank_account_changes,
    duplicate_amounts,
    duplicate_numbers,
    round_or_weekend,
    unusual_accounts,
    unusual_amounts,
)

DAY = dt.date(2026, 3, 2)  # a Monday


def out(key, kind="payment", vendor="Acme Corp", amount=10_000, day=DAY, *, number=None,
        channel=None, account=None):
    return Outflow(key, kind, channel if channel is not None else
                   ("" if kind in ("bill", "contact") else "bank"), vendor_key(vendor), vendor,
                   number, amount, "USD", day, account)


def kinds(flags):
    return sorted(f.kind.value for f in flags)


def test_vendor_names_are_compared_without_case_punctuation_or_legal_form():
    assert vendor_key("ACME CORP.") == vendor_key("Acme, Inc") == "acme"
    assert vendor_key("Inc") == "inc"  # a name that is only a legal form stays itself


def test_the_same_bill_entered_twice_is_a_duplicate_naming_both():
    flags = duplicate_numbers([out("bill:qbo/1", "bill", number="INV-7"),
                               out("bill:intake/9", "bill", vendor="ACME CORP", number="inv-7"),
                               out("bill:qbo/2", "bill", vendor="Globex", number="INV-7")])
    (flag,) = flags
    assert flag.kind is FlagKind.DUPLICATE_BILL and flag.score >= 0.9
    assert set(flag.records) == {"bill:qbo/1", "bill:intake/9"}
    assert "INV-7" in flag.reason and "bill:intake/9" in flag.reason


def test_two_payments_of_one_bill_are_a_duplicate_payment():
    (flag,) = duplicate_numbers([out("payment:a/1", number="bill-1"),
                                 out("payment:a/2", number="bill-1", day=DAY.replace(day=20))])
    assert flag.kind is FlagKind.DUPLICATE_PAYMENT and flag.amount == 10_000


def test_same_amount_within_days_across_channels_is_a_duplicate():
    card = out("expense:cards/4", "card", vendor="ACME CORPORATION", channel="card",
               day=DAY + dt.timedelta(days=2))
    (flag,) = duplicate_amounts([out("payment:erp/1"), card])
    assert flag.kind is FlagKind.DUPLICATE_PAYMENT and 0.5 < flag.score < 1
    assert flag.records == ("payment:erp/1", "expense:cards/4")


def test_a_bank_debit_and_its_booked_transfer_are_one_movement():
    debit = out("bank_line:3", "bank", vendor="ACME CORP LTD", day=DAY + dt.timedelta(days=1))
    assert duplicate_amounts([out("payment:erp/1"), debit]) == []
    twice = out("bank_line:4", "bank", vendor="ACME CORP LTD", day=DAY + dt.timedelta(days=2))
    assert kinds(duplicate_amounts([debit, twice])) == ["duplicate_payment"]


def test_different_vendors_or_far_apart_dates_are_no_duplicate():
    assert duplicate_amounts([out("p1"), out("p2", vendor="Globex Trading")]) == []
    assert duplicate_amounts([out("p1"), out("p2", day=DAY + dt.timedelta(days=6))]) == []
    assert duplicate_amounts([out("b1", "bill"), out("b2", "bill")]) == []  # bills: by number


@given(st.integers(1, 1_000_000), st.integers(2, 24), st.integers(1, 28))
def test_a_monthly_subscription_is_never_a_duplicate_or_unusual(amount, months, day):
    payments = [out(f"payment:s/{m}", vendor="Hosting Co", amount=amount,
                    day=dt.date(2025 + m // 12, m % 12 + 1, day)) for m in range(months)]
    assert detect(payments, [], []) == []


def test_an_amount_far_from_the_vendors_median_is_unusual():
    history = [out(f"p{i}", amount=10_000 + 137 * (i % 5), day=DAY + dt.timedelta(days=30 * i))
               for i in range(8)]
    spike = out("p-big", amount=95_000, day=DAY + dt.timedelta(days=400))
    (flag,) = unusual_amounts([*history, spike])
    assert flag.kind is FlagKind.UNUSUAL_AMOUNT and flag.records == ("p-big",)
    assert "usual 102.06 USD" in flag.reason and flag.score > 0.5
    assert unusual_amounts([*history[:5], spike]) == []  # too little history to judge


def test_a_payment_soon_after_the_bank_account_changed_is_flagged():
    old, new = "DE89370400440532013000", "DE02120300000000202051"
    records = [out("contact:erp/acme@1", "contact", amount=0, account=old,
                   day=DAY - dt.timedelta(days=90)),
               out("bank_line:1", "bank", day=DAY - dt.timedelta(days=60), account=old),
               out("contact:erp/acme@2", "contact", amount=0, account=new, day=DAY),
               out("payment:erp/5", day=DAY + dt.timedelta(days=3)),
               out("payment:erp/6", day=DAY + dt.timedelta(days=45))]
    (flag,) = bank_account_changes(records)
    assert flag.kind is FlagKind.BANK_ACCOUNT_CHANGE
    assert set(flag.records) == {"payment:erp/5", "contact:erp/acme@2"}
    assert old in flag.reason and new in flag.reason and "3 days before" in flag.reason


def test_an_iban_and_the_account_number_it_ends_with_are_the_same_account():
    records = [out("contact:erp/acme@1", "contact", amount=0, account="DE89370400440532013000"),
               out("bank_line:1", "bank", day=DAY + dt.timedelta(days=2), account="0532013000")]
    assert bank_account_changes(records) == []


def test_an_account_a_vendor_never_uses_is_flagged():
    postings = [Posting(f"journal_line:{i}", "Acme", "6200", "Software", DAY, 5_000, "USD")
                for i in range(7)]
    odd = Posting("journal_line:99", "Acme", "6400", "Advertising", DAY, 5_000, "USD")
    (flag,) = unusual_accounts([*postings, odd])
    assert flag.kind is FlagKind.UNUSUAL_ACCOUNT and flag.records == ("journal_line:99",)
    assert "6400 Advertising" in flag.reason and "6200 (7)" in flag.reason


def test_large_round_or_weekend_manual_entries_are_flagged():
    limits = Thresholds(round_minor=1_000_000)
    entries = [ManualEntry("entry:1", DAY, 5_000_000, "USD", "Round"),
               ManualEntry("entry:2", dt.date(2026, 3, 7), 1_234_567, "USD", "Saturday"),
               ManualEntry("entry:3", dt.date(2026, 3, 8), 2_000_000, "USD", "Both"),
               ManualEntry("entry:4", dt.date(2026, 3, 8), 900_000, "USD", "Small"),
               ManualEntry("entry:5", DAY, 1_234_567, "USD", "Plain")]
    flags = {f.records[0]: f for f in round_or_weekend(entries, limits)}
    assert set(flags) == {"entry:1", "entry:2", "entry:3"}
    assert flags["entry:3"].score > flags["entry:1"].score
    assert "Saturday" in flags["entry:2"].reason


@given(st.permutations(["bill:a/1", "bill:b/2", "payment:c/3"]))
def test_a_flag_fingerprint_does_not_depend_on_record_order(records):
    flags = duplicate_numbers([out(key, "bill", number="N-1") for key in records])
    (flag,) = flags
    expected = duplicate_numbers([out(key, "bill", number="N-1") for key in sorted(records)])
    assert flag.fingerprint == expected[0].fingerprint
