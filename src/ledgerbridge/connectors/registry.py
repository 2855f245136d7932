"""Find connectors through the ``ledgerbridge.connectors`` entry point group."""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import ValidationError

from ledgerbridge.connectors.base import Connector
from ledgerbridge.documents import validation_problems
from ledgerbridge.sync.errors import FatalError

__all__ = ["ENTRY_POINT_GROUP", "available", "build", "connector_class"]

ENTRY_POINT_GROUP = "ledgerbridge.connectors"


@cache
def available() -> dict[str, type[Connector]]:
    """Every installed connector class by system name (ours and third parties')."""
    return {point.name: _checked(point) for point in entry_points(group=ENTRY_POINT_GROUP)}


def _checked(point: EntryPoint) -> type[Connector]:
    cls = point.load()
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise TypeError(f"entry point {point.name!r} is not a Connector subclass")
    return cls


@cache
def connector_class(system: str) -> type[Connector]:
    """The connector class registered as ``system``; only that one is imported."""
    for point in entry_points(group=ENTRY_POINT_GROUP, name=system):
        return _checked(point)
    known = ", ".join(sorted(p.name for p in entry_points(group=ENTRY_POINT_GROUP))) or "none"
    raise FatalError(f"no connector {system!r} is installed (installed: {known})")


def build(system: str, connection: str, settings: dict[str, Any]) -> Connector:
    """A connector bound to one connection, with its settings validated."""
    cls = connector_class(system)
    try:
        parsed = cls.settings_model.model_validate(settings)
    except ValidationError as exc:
        raise FatalError(f"invalid settings: {validation_problems(exc, whole='settings')}",
                         connection=connection) from None
    return cls(connection, parsed)
