"""The dashboard's fixtures, for the anomalies and forecast pages."""

from tests.web.conftest import _quick_hashes, accountant, site, users, viewer

__all__ = ["_quick_hashes", "accountant", "site", "users", "viewer"]
