"""The dashboard's fixtures, for the review page's tests."""

from tests.web.conftest import _quick_hashes, accountant, site, users, viewer  # noqa: F401
