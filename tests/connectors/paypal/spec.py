"""Checking emulator answers against the JSON schemas of PayPal's OpenAPI specs.

A small reader of the schema keywords those specs use ($ref, allOf, type,
properties, required, items, enum, pattern, maxLength), since no JSON Schema
validator is installed.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from tests.conftest import SHARED

SPECS = SHARED / "specs" / "paypal"
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool,
          "integer": int, "number": (int, float)}


@cache
def _spec(name: str) -> dict[str, Any]:
    path = SPECS / name
    if not path.exists():
        pytest.skip(f"PayPal spec {name} not available")
    return json.loads(path.read_text())


def problems(spec: str, schema: str, instance: Any) -> list[str]:
    """What in ``instance`` breaks ``components.schemas[schema]`` of ``spec``."""
    document = _spec(spec)
    found: list[str] = []
    _check(document, document["components"]["schemas"][schema], instance, schema, found)
    return found


def _check(doc: dict, schema: dict, value: Any, path: str, found: list[str]) -> None:
    if "$ref" in schema:
        target = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        _check(doc, target, value, path, found)
    for part in schema.get("allOf", ()):
        _check(doc, part, value, path, found)
    kind = schema.get("type")
    if kind is not None and (not isinstance(value, _TYPES[kind])
                             or isinstance(value, bool) and kind != "boolean"):
        found.append(f"{path}: expected {kind}, got {type(value).__name__}")
        return
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if len(value) > schema.get("maxLength", len(value)):
            found.append(f"{path}: longer than {schema['maxLength']}")
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                found.append(f"{path}: missing {name}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                _check(doc, sub, value[name], f"{path}.{name}", found)
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            _check(doc, schema["items"], item, f"{path}[{n}]", found)
