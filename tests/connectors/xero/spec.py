"""Checking emulator answers against the schemas of Xero's Accounting API OpenAPI spec."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml

from tests.conftest import SHARED
from tests.connectors.paypal.spec import _check

SPEC = SHARED / "specs" / "xero" / "xero_accounting.yaml"


@cache
def _spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip("Xero Accounting API spec not available")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(SPEC.read_text(), Loader=loader)  # noqa: S506 (a safe loader)


def problems(schema: str, instance: Any) -> list[str]:
    """What in ``instance`` breaks ``components.schemas[schema]`` of the Xero spec."""
    document = _spec()
    found: list[str] = []
    _check(document, document["components"]["schemas"][schema], instance, schema, found)
    return found


def answer_schema(path: str, method: str = "get") -> str:
    """The schema the spec names for a 200 answer of ``method path``."""
    operation = _spec()["paths"][path][method]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]
