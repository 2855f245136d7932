from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.web.users import Role, authenticate, user_for_token

runner = CliRunner()


def test_users_add_list_and_token(ledger, db_url):
    added = runner.invoke(app, ["users", "add", "ann", "--role", "accountant",
                                "--password-stdin", "--db", db_url],
                          input="a long passphrase\n")
    assert added.exit_code == 0, added.output
    assert authenticate(ledger.engine, "ann", "a long passphrase").role is Role.ACCOUNTANT
    prompted = runner.invoke(app, ["users", "add", "bob", "--db", db_url],
                             input="another passphrase\nanother passphrase\n")
    assert prompted.exit_code == 0 and "Added bob (viewer)" in prompted.output
    again = runner.invoke(app, ["users", "add", "ann", "--password-stdin", "--db", db_url],
                          input="a long passphrase\n")
    assert again.exit_code == 1 and "already exists" in again.output
    listed = runner.invoke(app, ["users", "list", "--db", db_url])
    assert "ann" in listed.output and "accountant" in listed.output and "bob" in listed.output
    token = runner.invoke(app, ["users", "token", "ann", "--label", "ci", "--db", db_url])
    assert user_for_token(ledger.engine, token.output.strip()).name == "ann"
