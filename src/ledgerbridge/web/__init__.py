"""The finance dashboard: connections, exceptions, reconciliation, reports, audit, KPIs."""

from ledgerbridge.web.app import dashboard_app
from ledgerbridge.web.auth import Auth

__all__ = ["Auth", "dashboard_app"]
