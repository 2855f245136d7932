"""JSON Schema of every canonical document, for the public webhook contract.

Regenerate the committed copies with ``python -m ledgerbridge.documents.schema docs/schemas``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ledgerbridge.documents.common import Document
from ledgerbridge.documents.registry import DOCUMENT_TYPES

__all__ = ["document_schema", "render_json_schemas", "write_json_schemas"]

INDEX = "index.json"


def document_schema(cls: type[Document]) -> dict[str, Any]:
    """The JSON Schema that a document of class ``cls`` must match on input."""
    schema = cls.model_json_schema(mode="validation")
    kind = cls.model_fields["type"].default
    # `type` has a default for Python callers, but JSON input must always name its type.
    schema["required"] = ["type", *schema.get("required", [])]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{kind}.schema.json",
        **schema,
    }


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_json_schemas() -> dict[str, str]:
    """File name -> text of every schema file and the index, as written to disk."""
    files = {
        f"{kind}.schema.json": _dump(document_schema(cls)) for kind, cls in DOCUMENT_TYPES.items()
    }
    index = {
        "description": "Canonical ledgerbridge documents; each is chosen by its `type` field.",
        "documents": {
            kind: {"schema": f"{kind}.schema.json", "title": cls.__name__}
            for kind, cls in sorted(DOCUMENT_TYPES.items())
        },
    }
    files[INDEX] = _dump(index)
    return files


def write_json_schemas(directory: str | Path) -> list[Path]:
    """Write ``<type>.schema.json`` for each document plus ``index.json``; return the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(render_json_schemas().items()):
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_json_schemas(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas"):
        print(written_path)
