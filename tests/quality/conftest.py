"""The dashboard fixtures (users of each role, the site, logged-in clients) for the page test."""

from tests.web.conftest import _quick_hashes, accountant, site, users, viewer

__all__ = ["_quick_hashes", "accountant", "site", "users", "viewer"]
