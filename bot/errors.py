"""The one error hierarchy of the desk; `bot.http.errors` maps it to HTTP responses."""

from __future__ import annotations

from typing import Any


class DeskError(Exception):
    """Base of every error the desk reports to a caller: a stable code and a human message."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def body(self) -> dict[str, Any]:
        """The JSON error body: `{"error": {"code", "message", ...details}}`."""
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class BadRequest(DeskError):
    """The request cannot be read (malformed JSON, invalid UTF-8, wrong shape)."""

    status = 400
    code = "bad_request"


class Unauthorized(DeskError):
    """Missing or wrong credentials; every protected endpoint fails closed with this."""

    status = 401
    code = "unauthorized"
    challenge: str | None = None  # the scheme a client should answer (`WWW-Authenticate`)


class TokenRequired(Unauthorized):
    """No valid bearer token for this resource: one answer for missing, malformed and wrong
    tokens alike, so a caller learns nothing about what exists."""

    challenge = "Bearer"


class Forbidden(DeskError):
    """Authenticated, but not allowed to do this (e.g. replying on another agent's ticket)."""

    status = 403
    code = "forbidden"


class NotFound(DeskError):
    """No such resource or route."""

    status = 404
    code = "not_found"


class Conflict(DeskError):
    """The resource is not in a state that allows this (a resolved ticket, a lost claim race)."""

    status = 409
    code = "conflict"


class PayloadTooLarge(DeskError):
    """A message or body above the configured size limit."""

    status = 413
    code = "payload_too_large"


class InvalidField(DeskError):
    """The request is readable but a field is missing or invalid."""

    status = 422
    code = "invalid_field"


class TooManyRequests(DeskError):
    """A limit was hit (sign-ins, public traffic); `retry_after` says when to come back, in s."""

    status = 429
    code = "too_many_requests"


class DeliveryFailed(DeskError):
    """A channel did not take a message; the message is kept (status failed) for a resend."""

    status = 502
    code = "delivery_failed"


class ServiceUnavailable(DeskError):
    """Something the request needs is not running or not configured."""

    status = 503
    code = "unavailable"


class AssistantUnavailable(ServiceUnavailable):
    """The Rasa server did not answer; the inbound message is stored regardless."""

    code = "assistant_unavailable"
