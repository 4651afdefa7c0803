"""Who may call the customers' side of the API: the holder of a conversation's token, and
nobody more often than the public rate limits allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.errors import TokenRequired, TooManyRequests
from bot.security.limits import Limit, RateLimiter
from bot.security.tokens import token_matches
from bot.settings import Settings

CONVERSATION_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
ConversationId = Annotated[
    str, Path(pattern=CONVERSATION_ID, description="The id POST /api/v1/conversations gave.")
]
# One answer for a missing, malformed or wrong token and for a conversation that is not
# public (or does not exist): nobody learns which ids exist. 401, not 404: the request lacks
# the credential, and a client that forgot the header is told so.
DENIED = "this conversation needs its token: Authorization: Bearer <token>"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ConversationToken",
    description="The `token` that POST /api/v1/conversations (or the web chat's "
    "`session_confirm`) gave for the conversation.",
)


@dataclass(frozen=True, slots=True)
class PublicLimits:
    """The public surfaces' limits, from the settings."""

    messages_per_conversation: Limit
    messages_per_address: Limit
    conversations_per_address: Limit
    uploads_per_conversation: Limit
    uploads_per_address: Limit

    @classmethod
    def of(cls, settings: Settings) -> PublicLimits:
        """The limits the settings name, all over one window."""
        window = settings.rate_window_s
        return cls(
            Limit("msg:conv", settings.rate_messages_per_conversation, window, "messages"),
            Limit("msg:addr", settings.rate_messages_per_address, window, "messages"),
            Limit("conv:addr", settings.rate_conversations_per_address, window, "new chats"),
            Limit("up:conv", settings.rate_uploads_per_conversation, window, "uploads"),
            Limit("up:addr", settings.rate_uploads_per_address, window, "uploads"),
        )


def client_address(request: Request) -> str:
    """The caller's address as the ASGI server reports it (proxies are the server's business)."""
    return request.client.host if request.client else "unknown"


async def conversation(
    conversation_id: ConversationId,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The conversation of the path, when the bearer token is its token (401 otherwise)."""
    settings: Settings = request.app.state.settings
    token = credentials.credentials if credentials is not None else None
    if not token_matches(conversation_id, token, settings.signing_key()):
        raise TokenRequired(DENIED, code="unauthorized")
    return conversation_id


Conversation = Annotated[str, Depends(conversation)]


async def hit(request: Request, *checks: tuple[Limit, str]) -> None:
    """Count one request against `checks`; 429 with Retry-After when one is over."""
    limiter: RateLimiter = request.app.state.limiter
    await limiter.hit(*checks)


async def webchat_wait(
    limiter: RateLimiter, limits: PublicLimits, action: str, address: str, session_id: str
) -> float | None:
    """The web chat's limits: None to go ahead, else the seconds to wait. `action` is
    `session` (a new chat) or `message`."""
    checks = (
        [(limits.conversations_per_address, address)]
        if action == "session"
        else [
            (limits.messages_per_conversation, session_id),
            (limits.messages_per_address, address),
        ]
    )
    try:
        await limiter.hit(*checks)
    except TooManyRequests as exc:
        return float(exc.details["retry_after"])
    return None
