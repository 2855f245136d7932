"""The ``ledgerbridge`` command line: one module per area, joined here."""

from ledgerbridge.cli.anomalies import anomalies_app
from ledgerbridge.cli.authorize import connections_authorize
from ledgerbridge.cli.bank import bank_app
from ledgerbridge.cli.categorize import categorize_app
from ledgerbridge.cli.documents import documents_app
from ledgerbridge.cli.forecast import forecast_command
from ledgerbridge.cli.ledger import accounts_app, app
from ledgerbridge.cli.mapping import mapping_app
from ledgerbridge.cli.pilot import pilot_app
from ledgerbridge.cli.quality import audit_data, contacts_app
from ledgerbridge.cli.receipts import receipts_app
from ledgerbridge.cli.reconcile import reconcile_app
from ledgerbridge.cli.sandbox import sandbox_app
from ledgerbridge.cli.sync import audit, connections_app, serve, sync_app, worker
from ledgerbridge.cli.targets import accounts_map, targets_app
from ledgerbridge.cli.unified import unified_app
from ledgerbridge.cli.users import users_app

app.command()(serve)
app.command()(worker)
app.command()(audit)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(pilot_app, name="pilot")
app.add_typer(connections_app, name="connections")
connections_app.command("authorize")(connections_authorize)
app.add_typer(sync_app, name="sync")
app.add_typer(mapping_app, name="mapping")
app.add_typer(bank_app, name="bank")
app.add_typer(documents_app, name="documents")
app.add_typer(receipts_app, name="receipts")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(categorize_app, name="categorize")
app.add_typer(users_app, name="users")
app.add_typer(anomalies_app, name="anomalies")
app.command("forecast")(forecast_command)
app.command("audit-data")(audit_data)
app.add_typer(contacts_app, name="contacts")
app.add_typer(unified_app, name="unified")
app.add_typer(targets_app, name="targets")
accounts_app.command("map")(accounts_map)

__all__ = ["app"]
