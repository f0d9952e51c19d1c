"""Errors of the core package, rooted in one base class and mapped to HTTP at the edge."""

from __future__ import annotations

from collections.abc import Mapping


class HearingServerError(Exception):
    """Base of every error the server raises on purpose; its message is safe for clients."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class ConfigError(HearingServerError):
    code = "config_error"


class ValidationFailed(HearingServerError):
    status = 400
    code = "invalid_request"


class NotAuthenticated(HearingServerError):
    status = 401
    code = "not_authenticated"


class Forbidden(HearingServerError):
    status = 403
    code = "forbidden"


class NotFound(HearingServerError):
    status = 404
    code = "not_found"


class Conflict(HearingServerError):
    status = 409
    code = "conflict"


class CredentialRejected(HearingServerError):
    """Wrong, used, revoked, expired or foreign credentials.

    ``reason`` (sent as ``error.reason``) lets the page say it in the reader's language; it
    never distinguishes an unknown account from a wrong code.
    """

    status = 401
    code = "credential_rejected"

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


class RateLimited(HearingServerError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PayloadTooLarge(HearingServerError):
    status = 413
    code = "payload_too_large"


class IllegalTransition(Conflict):
    code = "illegal_transition"
