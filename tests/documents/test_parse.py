"""parse_document: every type from a dict or JSON, and errors naming record and field."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from ledgerbridge.documents import DOCUMENT_TYPES, DocumentError, Invoice, parse_document

from . import samples


@pytest.mark.parametrize("kind", sorted(samples.ALL))
def test_parse_each_type_from_dict_and_json(kind: str) -> None:
    data = samples.ALL[kind]()
    from_dict = parse_document(data)
    from_bytes = parse_document(json.dumps(data).encode())
    from_text = parse_document(json.dumps(data))
    assert type(from_dict) is DOCUMENT_TYPES[kind]
    assert from_dict.type == kind
    assert from_dict == from_bytes == from_text
    assert from_dict.source.external_id == data["source"]["external_id"]


@pytest.mark.parametrize("kind", sorted(samples.ALL))
def test_json_round_trip_is_identical(kind: str) -> None:
    document = parse_document(samples.ALL[kind]())
    text = document.model_dump_json()
    again = parse_document(text.encode())
    assert again == document
    assert again.model_dump_json() == text


@pytest.mark.parametrize("kind", sorted(samples.ALL))
def test_documents_are_frozen(kind: str) -> None:
    document = parse_document(samples.ALL[kind]())
    with pytest.raises(ValidationError):
        document.id = "changed"  # type: ignore[misc]


def test_samples_cover_every_type() -> None:
    assert set(samples.ALL) == set(DOCUMENT_TYPES)


def test_error_names_record_and_field() -> None:
    data = samples.invoice()
    data["lines"][0]["unit_price"] = 9.99
    with pytest.raises(DocumentError) as exc:
        parse_document(json.dumps(data).encode())
    error = exc.value
    assert error.record == "invoice demo/invoice/in_1001"
    assert [path for path, _ in error.problems] == ["lines.0.unit_price"]
    assert str(error).startswith("invoice demo/invoice/in_1001: lines.0.unit_price: amount 9.99 is")


def test_extra_field_is_refused() -> None:
    data = samples.payment() | {"amount_cents": 100000}
    with pytest.raises(DocumentError) as exc:
        parse_document(data)
    assert exc.value.problems == (("amount_cents", "Extra inputs are not permitted"),)


def test_missing_required_fields_are_each_named() -> None:
    data = samples.bank_transaction()
    del data["amount"], data["booking_date"]
    with pytest.raises(DocumentError) as exc:
        parse_document(data)
    assert exc.value.problems == (("booking_date", "Field required"), ("amount", "Field required"))


def test_missing_source_is_refused() -> None:
    data = samples.fee()
    del data["source"]
    with pytest.raises(DocumentError) as exc:
        parse_document(data)
    assert exc.value.record == "fee"
    assert exc.value.problems == (("source", "Field required"),)


def test_unknown_or_missing_type() -> None:
    with pytest.raises(DocumentError) as exc:
        parse_document(samples.fee() | {"type": "receipt"})
    ((path, reason),) = exc.value.problems
    assert path == "type" and "'receipt' is not a document type" in reason and "invoice" in reason
    data = samples.fee()
    del data["type"]
    with pytest.raises(DocumentError) as exc:
        parse_document(data)
    assert exc.value.problems[0][1].startswith("is missing; expected one of: bank_transaction")


def test_bad_json_and_non_objects() -> None:
    with pytest.raises(DocumentError, match="not valid JSON"):
        parse_document(b"{not json")
    with pytest.raises(DocumentError, match="must be a JSON object"):
        parse_document(b"[1, 2]")


def test_record_falls_back_to_our_id() -> None:
    data = samples.invoice() | {"id": "doc-1", "total": "1.00"}
    del data["source"]
    with pytest.raises(DocumentError) as exc:
        parse_document(data)
    assert exc.value.record == "invoice doc-1"


def test_python_construction_accepts_text_amounts_in_a_document() -> None:
    invoice = Invoice(**{k: v for k, v in samples.invoice().items() if k != "type"})
    assert invoice == parse_document(samples.invoice())
