"""Per-connection mapping in YAML: field maps, posting rules and source of truth.

``load_rules(None)`` gives the built-in rules against the standard chart; a
connection's YAML is merged over them and only says what differs.
"""

from ledgerbridge.connectors.registry import connector_class
from ledgerbridge.mapping._fields import FieldMapError, apply_field_map
from ledgerbridge.mapping._posting import PostingRules
from ledgerbridge.mapping._schema import ROLES, MappingConfig, MappingError, parse_config
from ledgerbridge.mapping._truth import Resolution, resolve

__all__ = [
    "ROLES",
    "FieldMapError",
    "MappingConfig",
    "MappingError",
    "PostingRules",
    "Resolution",
    "apply_field_map",
    "load_rules",
    "resolve",
    "rules_for_connection",
]


def load_rules(text: str | None, *, source: str = "mapping",
               base: str | None = None) -> PostingRules:
    """Posting rules from a mapping YAML merged over the defaults (None: the defaults).

    ``base``, a connector's default mapping, goes between the defaults and ``text``.
    Raises MappingError naming each bad path (``rules[2].accounts.revnue: ...``).
    """
    return PostingRules(parse_config(text, source=source, base=base))


def rules_for_connection(system: str, text: str | None, *, source: str = "mapping"
                         ) -> PostingRules:
    """A connection's rules: its own mapping over its connector's default mapping and the defaults.

    Raises MappingError for a bad mapping, FatalError for a connector not installed.
    """
    return load_rules(text, source=source, base=connector_class(system).default_mapping)
