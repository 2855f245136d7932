"""The HTTP side: webhook gateway, REST API and (later) the dashboard."""

from ledgerbridge.api.app import create_app

__all__ = ["create_app"]
