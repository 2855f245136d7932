"""Failures of the unified API, each with its HTTP status and problem type (RFC 7807)."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthorizationExpired",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotAuthorized",
    "NotFound",
    "PackageError",
    "PackageUnavailable",
    "PreconditionFailed",
    "PreconditionRequired",
    "UnifiedError",
    "Unsupported",
]


class UnifiedError(Exception):
    """Base of unified API failures: a status, a problem type and extra members.

    Attributes:
        status: the HTTP status of the problem.
        slug: the last part of the problem type URI.
        title: a short summary, the same for every problem of this class.
        detail: what happened to this request, naming the record and what to do.
        extra: further members of the problem document.

    """

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "The request cannot be carried out"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document (``application/problem+json``)."""
        body: dict[str, Any] = {"type": f"https://ledgerbridge.dev/problems/{self.slug}",
                                "title": self.title, "status": self.status,
                                "detail": self.detail, **self.extra}
        if instance:
            body["instance"] = instance
        return body


class BadRequest(UnifiedError):
    """The request itself is wrong: a bad cursor, an unknown kind, an invalid document."""


class NotFound(UnifiedError):
    """No such record, kind or connection."""

    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(UnifiedError):
    """The record exists already, or belongs to another record's key."""

    status = 409
    slug = "conflict"
    title = "The request conflicts with what is stored"


class PreconditionRequired(UnifiedError):
    """A write that does not say which version it changes (no ``If-Match``)."""

    status = 428
    slug = "version-required"
    title = "Say which version you are changing"


class PreconditionFailed(UnifiedError):
    """A write against a version that is no longer the current one."""

    status = 412
    slug = "version-mismatch"
    title = "The record changed since you read it"


class Unsupported(UnifiedError):
    """Fields or kinds the chosen adapter cannot carry; never dropped silently."""

    status = 422
    slug = "unsupported-fields"
    title = "The accounting package cannot carry part of this request"


class PackageError(UnifiedError):
    """The accounting package refused or failed the call."""

    status = 502
    slug = "package-error"
    title = "The accounting package refused the call"


class AuthorizationExpired(UnifiedError):
    """The connection's OAuth grant is no longer valid: someone must authorize it again."""

    status = 502
    slug = "connection-unauthorized"
    title = "The connection must be authorized again"


class NotAuthorized(UnifiedError):
    """No valid API token came with the request."""

    status = 401
    slug = "not-authorized"
    title = "An API token is needed"


class Forbidden(UnifiedError):
    """The token's user may read but not write."""

    status = 403
    slug = "forbidden"
    title = "Your role does not allow this"


class PackageUnavailable(UnifiedError):
    """The package is not answering now (timeout, 5xx, rate limit): try again later."""

    status = 503
    slug = "package-unavailable"
    title = "The accounting package is not answering now"
