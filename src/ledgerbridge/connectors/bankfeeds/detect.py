"""Pick the statement format of a file and read it."""

from __future__ import annotations

from ledgerbridge.connectors.bankfeeds.bai2 import BAI2
from ledgerbridge.connectors.bankfeeds.camt import CAMT
from ledgerbridge.connectors.bankfeeds.csv_profiles import BUILTIN_PROFILES, CsvFormat, CsvProfile
from ledgerbridge.connectors.bankfeeds.mt940 import MT940
from ledgerbridge.connectors.bankfeeds.ofx import OFX
from ledgerbridge.connectors.bankfeeds.statement import Statement, StatementError, StatementFormat

__all__ = ["FORMATS", "read_statements"]

FORMATS: list[StatementFormat] = [OFX, CAMT, MT940, BAI2]
"""Self-identifying formats, tried in order. CSV is not listed: it needs a profile."""


def read_statements(
    data: bytes, *, name: str = "", csv_profile: CsvProfile | None = None
) -> list[Statement]:
    """Read every statement in ``data`` with the first format that identifies it.

    CSV is tried last: with ``csv_profile`` when given, otherwise with each built-in
    profile whose header row the file has.
    """
    profiles = [csv_profile] if csv_profile is not None else list(BUILTIN_PROFILES.values())
    candidates: list[StatementFormat] = [*FORMATS, *(CsvFormat(p) for p in profiles)]
    for fmt in candidates:
        if fmt.identify(data):
            try:
                return fmt.parse(data)
            except StatementError as err:
                if not name:
                    raise
                record = f"{name}: {err.record}" if err.record else name
                raise StatementError(err.reason, record=record) from err
    tried = ", ".join(fmt.name for fmt in candidates)
    hint = ""
    if csv_profile is not None:
        hint = f"; CSV profile {csv_profile.name!r}: {CsvFormat(csv_profile).mismatch(data)}"
    raise StatementError(f"no statement format recognizes the file (tried {tried}){hint}",
                         record=name or None)
