import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ledgerbridge.connectors.base import WebhookRequest
from ledgerbridge.connectors.webhook import sign
from ledgerbridge.ledger import Ledger, PeriodStatus
from ledgerbridge.ledger.chart import standard_chart
from ledgerbridge.store.tables import documents, inbox, journal_entries, journal_lines
from ledgerbridge.sync.audit import audit_trail
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.inbox import Channel, replay, store_events
from ledgerbridge.sync.worker import Worker
from tests.sync.conftest import SECRET
from tests.sync.samples import body, invoice


def deliver(ledger, hook, document, event_id=None):
    """Store a document as the gateway would (signed, split, stored raw)."""
    raw = body(document)
    headers = {"x-ledgerbridge-signature": sign(raw, SECRET)}
    if event_id:
        headers["x-ledgerbridge-event-id"] = event_id
    request = WebhookRequest("POST", "/webhooks/hook", headers, raw)
    connector = hook.connector()
    connector.verify(request)
    with ledger.engine.begin() as conn:
        return store_events(conn, hook.id, Channel.WEBHOOK, connector.split(request),
                            headers=headers)


def work(ledger):
    worker = Worker(ledger.engine)
    worker.run_until_idle()
    return worker.stats


def balances(ledger):
    query = (select(journal_lines.c.account_id, func.sum(journal_lines.c.amount))
             .where(journal_lines.c.entity_id == ledger.entity.id)
             .group_by(journal_lines.c.account_id))
    with ledger.engine.connect() as conn:
        return {a: int(s) for a, s in conn.execute(query) if int(s)}


def statuses(ledger):
    with ledger.engine.connect() as conn:
        return [r.status for r in conn.execute(select(inbox.c.status).order_by(inbox.c.id))]


def entry_count(ledger):
    with ledger.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(journal_entries)).scalar()


def test_invoice_posts_with_lineage_and_audit_trail(ledger, hook):
    (stored,) = deliver(ledger, hook, invoice())
    stats = work(ledger)
    assert stats.posted == 1
    assert statuses(ledger) == ["posted"]
    with ledger.engine.connect() as conn:
        entry_id = conn.execute(select(documents.c.entry_id)).scalar_one()
    trail = audit_trail(ledger, entry_id)
    assert trail.entry.lineage.connection == "hook"
    assert trail.entry.lineage.external_id == "INV-1"
    assert trail.document["data"]["number"] == "INV-1"
    assert trail.raw["id"] == stored.id
    assert json.loads(trail.raw["body"])["number"] == "INV-1"
    assert trail.connection == {"name": "hook", "system": "webhook"}
    amounts = sorted(ln.amount.minor for ln in trail.entry.lines)
    assert amounts == [-10000, -825, 10825]


def test_edit_posts_a_reversal_and_a_new_entry_void_reverses(ledger, hook):
    deliver(ledger, hook, invoice(version="1"))
    work(ledger)
    deliver(ledger, hook, invoice(amount="200.00", tax="16.50", version="2"))
    work(ledger)
    assert entry_count(ledger) == 3  # original, its reversal, the corrected one
    assert sorted(balances(ledger).values()) == [-20000, -1650, 21650]
    # a late, older version changes nothing
    deliver(ledger, hook, invoice(amount="150.00", tax="12.38", version="1b"))
    deliver(ledger, hook, invoice(amount="100.00", tax="8.25", version="0"))
    work(ledger)
    deliver(ledger, hook, invoice(amount="200.00", tax="16.50", version="3", status="void"))
    work(ledger)
    assert balances(ledger) == {}


def test_same_content_again_changes_nothing(ledger, hook):
    deliver(ledger, hook, invoice(version="1"))
    deliver(ledger, hook, invoice(version="2"))  # a new version label, same facts
    stats = work(ledger)
    assert (stats.posted, stats.ignored) == (1, 1)
    assert entry_count(ledger) == 1


def test_refused_posting_goes_to_dead_letters_and_replays_after_a_fix(ledger, hook):
    ledger.set_period("2026-02", PeriodStatus.LOCKED)
    deliver(ledger, hook, invoice())
    assert work(ledger).dead == 1
    with ledger.engine.connect() as conn:
        error = conn.execute(select(inbox.c.last_error)).scalar_one()
    assert "INV-1" in error and "period 2026-02 is locked" in error
    assert entry_count(ledger) == 0
    ledger.set_period("2026-02", PeriodStatus.OPEN)
    with ledger.engine.begin() as conn:
        assert replay(conn) == 1
    assert work(ledger).posted == 1
    with ledger.engine.begin() as conn:
        assert replay(conn) == 0  # nothing left to replay
    assert entry_count(ledger) == 1


def test_invalid_document_is_dead_lettered_with_the_field(ledger, hook):
    bad = invoice()
    bad["lines"][0]["amount"] = 100.5  # a float: refused, never rounded
    deliver(ledger, hook, bad)
    assert work(ledger).dead == 1
    with ledger.engine.connect() as conn:
        error = conn.execute(select(inbox.c.last_error)).scalar_one()
    assert "lines.0.amount" in error


def test_out_of_order_payment_waits_for_its_invoice(ledger, hook):
    payment = {
        "type": "payment", "source": {"connection": "x", "object_type": "payment",
                                      "external_id": "pay-1"},
        "date": "2026-02-20", "currency": "USD", "amount": "108.25", "method": "bank_transfer",
        "contact": {"external_id": "acme-corp", "name": "Acme Corp"},
        "applications": [{"document": {"external_id": "INV-1"}, "amount": "108.25"}],
    }
    deliver(ledger, hook, payment)
    work(ledger)
    assert statuses(ledger) == ["waiting"]
    deliver(ledger, hook, invoice())
    work(ledger)
    with ledger.engine.begin() as conn:  # the wake-up is immediate; no backoff wait
        conn.execute(inbox.update().values(next_attempt_at=None))
    work(ledger)
    assert statuses(ledger) == ["posted", "posted"]
    receivable = [v for v in balances(ledger).values()]
    assert sum(receivable) == 0


def _versions():
    """(invoice, version, void) with each version of an invoice having one content."""
    return st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 3),
                              st.booleans()), min_size=1, max_size=8,
                    unique_by=lambda t: (t[0], t[1]))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=_versions(), seed=st.integers(0, 2**16))
def test_any_order_and_duplication_gives_the_same_ledger(engine, events, seed):
    """Invoice versions delivered in random orders with duplicates give the same books."""
    documents_sent = [invoice(f"INV-{n}", f"{100 * v}.00", f"{8 * v}.00", version=str(v),
                              status="void" if void else "open")
                      for n, v, void in events]
    latest: dict[str, tuple[int, bool]] = {}
    for n, v, void in events:
        if v > latest.get(n, (0, False))[0]:
            latest[n] = (v, void)
    live = [v for v, void in latest.values() if not void]
    expected = sorted(x for x in (-sum(10000 * v for v in live), -sum(800 * v for v in live),
                                  sum(10800 * v for v in live)) if x)
    for attempt in range(2):
        tag = f"{attempt}-{random.Random().getrandbits(48):x}"
        ledger = Ledger.create(engine, entity=f"e{tag}", currency="USD", chart=standard_chart())
        hook = add_connection(engine, f"hook-{tag}", "webhook", entity=f"e{tag}",
                              settings={"secret": SECRET})
        rng = random.Random(seed + attempt)
        batch = documents_sent + rng.sample(documents_sent, k=len(documents_sent) // 2)
        rng.shuffle(batch)
        for document in batch:
            deliver(ledger, hook, document)
            if rng.random() < 0.3:
                work(ledger)
        work(ledger)
        assert sorted(balances(ledger).values()) == expected
