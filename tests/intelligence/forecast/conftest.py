"""The dashboard's fixtures, for the forecast page."""

from tests.web.conftest import _quick_hashes, site, users, viewer

__all__ = ["_quick_hashes", "site", "users", "viewer"]
