from pathlib import Path

from typer.testing import CliRunner

from ledgerbridge.cli import app

SAMPLES = Path(__file__).with_name("samples")
runner = CliRunner()


def run(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args])
    assert (result.exit_code == 0) == ok, result.output
    return result


def test_import_twice_adds_nothing_the_second_time(ledger, db_url):
    files = [SAMPLES / "chase_checking_102.ofx", SAMPLES / "signed_amount_balance.csv"]
    first = run("bank", "import", *files, "--account", "1010", "--db", db_url).output
    assert "chase_checking_102.ofx" in first
    again = run("bank", "import", *files, "--account", "1010", "--db", db_url).output
    rows = [line for line in again.splitlines() if ".ofx" in line or ".csv" in line]
    assert all(" 0 " in row.replace("│", " ") for row in rows)


def test_bad_file_exits_non_zero_naming_it(ledger, db_url, tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello", encoding="utf-8")
    out = run("bank", "import", SAMPLES / "malformed_bad_amount.ofx", junk, "--account", "1010",
              "--db", db_url, ok=False).output
    assert "malformed_bad_amount.ofx" in out and "junk.txt" in out
    assert "nothing was imported" in out
    assert "no CSV profile 'nope'" in run("bank", "import", junk, "--account", "1010",
                                          "--profile", "nope", "--db", db_url, ok=False).output
    assert "no account '9999'" in run("bank", "import", SAMPLES / "chase_checking_102.ofx",
                                      "--account", "9999", "--db", db_url, ok=False).output
