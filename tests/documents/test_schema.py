"""The JSON Schemas committed in docs/schemas match the models."""

from __future__ import annotations

import json
from pathlib import Path

from ledgerbridge.documents import DOCUMENT_TYPES
from ledgerbridge.documents.schema import render_json_schemas, write_json_schemas

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "schemas"
REGENERATE = "python -m ledgerbridge.documents.schema docs/schemas"


def test_committed_schemas_are_up_to_date() -> None:
    expected = render_json_schemas()
    actual = {p.name: p.read_text(encoding="utf-8") for p in COMMITTED.glob("*.json")}
    stale = sorted(
        name for name in expected.keys() | actual.keys() if expected.get(name) != actual.get(name)
    )
    assert not stale, f"docs/schemas is out of date ({', '.join(stale)}); run: {REGENERATE}"


def test_write_json_schemas_writes_one_file_per_type_and_an_index(tmp_path: Path) -> None:
    written = write_json_schemas(tmp_path)
    assert {p.name for p in written} == {f"{k}.schema.json" for k in DOCUMENT_TYPES} | {
        "index.json"
    }
    index = json.loads((tmp_path / "index.json").read_text())
    assert set(index["documents"]) == set(DOCUMENT_TYPES)


def test_schema_documents_the_amount_contract() -> None:
    schema = json.loads(render_json_schemas()["invoice.schema.json"])
    assert schema["required"][0] == "type"
    assert schema["properties"]["type"]["const"] == "invoice"
    total = schema["properties"]["total"]["anyOf"][0]
    assert {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"} in total["anyOf"]
    assert schema["additionalProperties"] is False
