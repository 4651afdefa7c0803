"""What a channel adapter raises. The hub turns these into HTTP answers in its one error module;
adapters only raise them."""

from __future__ import annotations

from typing import ClassVar


class ChannelError(Exception):
    """Base of every channel error: a stable `code` and a human message."""

    code: ClassVar[str] = "channel_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadSignature(ChannelError):
    """A webhook call whose signature is missing, forged or stale: nothing of it may be used."""

    code = "bad_signature"


class BadPayload(ChannelError):
    """An authentic call whose body cannot be read (malformed JSON, wrong shape)."""

    code = "bad_payload"


class PayloadTooLarge(ChannelError):
    """A webhook body above the size limit; refused before it is read any further."""

    code = "payload_too_large"


class PlatformError(ChannelError):
    """The platform did not take a message.

    `status` is the platform's HTTP status when it answered one (None when it could not be
    reached); `retry_after` is the wait in seconds it asked for. `retryable` tells an outbox
    whether sending the same message again later can succeed.
    """

    code = "platform_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        # Rate limits, platform outages and lost connections pass; a refused request does not.
        self.retryable = (
            retryable if retryable is not None else status is None or status == 429 or status >= 500
        )
