"""What an invoice still owes after part payments in its own currency, to the cent."""

from __future__ import annotations

from sqlalchemy import select, update

from ledgerbridge.documents import parse_document
from ledgerbridge.money import Money
from ledgerbridge.reconcile import run
from ledgerbridge.store.tables import bank_lines, connections
from ledgerbridge.sync.connections import add_connection
from ledgerbridge.sync.settlement import invoice_state
from ledgerbridge.unified import LedgerAdapter
from tests.reconcile.test_reconcile import D, bank


def test_a_part_whose_relief_rounds_leaves_exactly_the_rest_due(ledger):
    add_connection(ledger.engine, "shop", "webhook", settings={"secret": "whsec_shop_0123456789"})
    # 10,000.00 MXN at 0.05: each USD cent carries two centavos, so a part of
    # 1,000.01 MXN relieves 50.00 USD, which converts back to 1,000.00 MXN.
    LedgerAdapter(ledger.engine).create("invoices", parse_document({
        "type": "invoice", "source": {"connection": "shop", "object_type": "invoice",
                                      "external_id": "INV-9001"},
        "number": "INV-9001", "customer": {"external_id": "zocalo", "name": "Zocalo SA"},
        "issue_date": D.isoformat(), "currency": "MXN", "exchange_rate": "0.05",
        "lines": [{"description": "Consulting", "amount": "10000.00"}]}))
    line = bank(ledger, "50.00", "INV-9001 first part", "ZOCALO SA")
    with ledger.engine.begin() as conn:
        conn.execute(update(bank_lines).where(bank_lines.c.id == line).values(
            original_amount=Money.parse("1000.01", "MXN").minor, original_currency="MXN"))
    assert run(ledger).auto_accepted == 1
    with ledger.engine.connect() as conn:
        shop = conn.execute(select(connections.c.id).where(
            connections.c.name == "shop")).scalar_one()
        state = invoice_state(conn, (shop, "INV-9001"))
    assert state is not None
    assert (state.status, state.amount_due) == ("partially_paid",
                                                Money.parse("8999.99", "MXN"))
