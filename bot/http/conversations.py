"""The customers' REST API: start a conversation (its id and token), post a message and get the
assistant's replies, read the history, ask whether people are at the desk."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.conversations.router import ConversationRouter
from bot.conversations.store import ConversationStore
from bot.db.models import utcnow
from bot.errors import BadRequest, InvalidField, PayloadTooLarge
from bot.http.access import Conversation, PublicLimits, client_address, hit
from bot.http.agent_models import reply_html
from bot.language.detect import SUPPORTED
from bot.security import identity
from bot.security.tokens import conversation_token, new_conversation_id
from bot.triage import sla
from channels.base import InboundMessage, OutboundMessage, hygiene
from channels.base.markup import to_html

# The whole body may carry metadata besides the text; this bounds what we parse at all.
MAX_BODY_BYTES = 64 * 1024


class MessageIn(BaseModel):
    """A customer message posted to a conversation."""

    model_config = ConfigDict(extra="forbid")

    text: str
    lang: str | None = Field(
        default=None, description="en, es or fr; detected from the text when absent."
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="The page, the browser...; `identity` is the site's signed token. Who the "
        "customer is (account_id, email, plan) only counts when signed; unsigned, agents see "
        "it as an unverified claim.",
    )


class ReplyOut(BaseModel):
    """One reply of the assistant."""

    text: str = Field(description="Markdown.")
    html: str | None = Field(default=None, description="The text as safe HTML, for display.")
    buttons: list[dict[str, str]] = Field(default_factory=list)
    image: str | None = None
    custom: dict[str, Any] | None = None

    @classmethod
    def of(cls, reply: OutboundMessage) -> ReplyOut:
        payload = reply.payload()
        return cls(
            text=reply.text,
            html=to_html(reply.text, breaks=True) if reply.text else None,
            buttons=payload.get("buttons", []),
            image=reply.image,
            custom=reply.custom,
        )


class MessagesOut(BaseModel):
    """The stored inbound message's id, the language used, and the replies."""

    conversation_id: str
    message_id: int
    lang: str
    replies: list[ReplyOut]
    ticket: str | None = Field(
        default=None, description="The ticket that people answer this conversation on, if any."
    )


def parse_message(raw: bytes, max_text_bytes: int) -> MessageIn:
    """Validate a raw request body; every failure names the problem (pure, no I/O)."""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body over {MAX_BODY_BYTES} bytes", code="body_too_large")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"body is not valid UTF-8 (byte {exc.start})", code="invalid_utf8"
        ) from exc
    try:
        data = hygiene.loads(decoded)
    except hygiene.Unclean as exc:
        raise BadRequest(str(exc), code=exc.code) from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(f"body is not valid JSON: {exc.msg}", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object", code="malformed_json")
    if "text" not in data:
        raise InvalidField("text is required", code="missing_text", field="text")
    try:
        message = MessageIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidField(f"{where}: {first['msg']}", field=where) from exc
    if not message.text.strip():
        raise InvalidField("text is empty", code="empty_text", field="text")
    try:
        hygiene.check_text(message.text, "text")
        hygiene.check_value(message.metadata, field="metadata")
    except hygiene.Unclean as exc:
        raise InvalidField(str(exc), code=exc.code, field=exc.field) from exc
    if len(message.text.encode("utf-8")) > max_text_bytes:
        raise PayloadTooLarge(
            f"text is over {max_text_bytes} bytes", code="text_too_long", limit=max_text_bytes
        )
    if message.lang is not None and message.lang not in SUPPORTED:
        raise InvalidField(
            f"lang must be one of {', '.join(SUPPORTED)}", code="unsupported_lang", field="lang"
        )
    return message


router = APIRouter(prefix="/api/v1", tags=["conversations"])


class ConversationOut(BaseModel):
    """A new conversation: its id, and the token every later call on it must carry."""

    conversation_id: str
    token: str = Field(description="Send it as `Authorization: Bearer <token>`; keep it secret.")


@router.post("/conversations", status_code=201, response_model=ConversationOut)
async def start_conversation(request: Request) -> ConversationOut:
    """Anyone may start a conversation (rate-limited per address); only the token's holder may
    read or write it."""
    limits: PublicLimits = request.app.state.limits
    await hit(request, (limits.conversations_per_address, client_address(request)))
    conversation_id = new_conversation_id("api")
    key = request.app.state.settings.signing_key()
    return ConversationOut(
        conversation_id=conversation_id, token=conversation_token(conversation_id, key)
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=MessagesOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": MessageIn.model_json_schema()}},
        }
    },
)
async def post_message(conversation_id: Conversation, request: Request) -> MessagesOut:
    """Store the message, route it, and return the assistant's replies (503 if Rasa is down).
    The conversation's token only; rate-limited per conversation and per address."""
    settings = request.app.state.settings
    limits: PublicLimits = request.app.state.limits
    await hit(
        request,
        (limits.messages_per_conversation, conversation_id),
        (limits.messages_per_address, client_address(request)),
    )
    body = parse_message(await request.body(), settings.max_text_bytes)
    conversation_router: ConversationRouter = request.app.state.router
    routed = await conversation_router.handle(
        InboundMessage(
            conversation_id=conversation_id,
            channel="api",
            text=body.text,
            lang=body.lang,
            metadata=identity.trusted(body.metadata, settings.signing_key()),
        )
    )
    return MessagesOut(
        conversation_id=conversation_id,
        message_id=routed.inbound.id,
        lang=routed.lang,
        replies=[ReplyOut.of(reply) for reply in routed.replies],
        ticket=routed.ticket,
    )


class StoredMessageOut(BaseModel):
    """A stored message of the conversation history."""

    id: int
    direction: str
    sender: str
    text: str
    payload: dict[str, Any]
    lang: str | None
    status: str
    created_at: str
    image: str | None = None  # a screenshot the customer sent
    html: str | None = None  # a reply as the widget shows it (`agent_models.reply_html`)


@router.get("/conversations/{conversation_id}/messages", response_model=list[StoredMessageOut])
async def get_messages(conversation_id: Conversation, request: Request) -> list[StoredMessageOut]:
    """The conversation's history, oldest first (the conversation's token only)."""
    store: ConversationStore = request.app.state.store
    return [
        StoredMessageOut(
            id=m.id,
            direction=m.direction.value,
            sender=m.sender,
            text=m.text,
            payload=m.payload,
            lang=m.lang,
            status=m.status.value,
            created_at=m.created_at.isoformat(),
            image=m.meta.get("image"),
            html=reply_html(m),
        )
        for m in await store.history(conversation_id)
    ]


class DeskStatusOut(BaseModel):
    """Whether people are at the desk now (the widget's out-of-hours banner)."""

    business_hours: bool
    live_chat: bool


@router.get("/desk/status", response_model=DeskStatusOut)
async def desk_status(request: Request) -> DeskStatusOut:
    """Business hours (09:00–18:00 GMT, Mon–Fri) and whether an agent is online for chat."""
    now = utcnow()
    open_now = sla.is_business_time(now)
    online = await request.app.state.tickets.agents_online("support") if open_now else 0
    return DeskStatusOut(business_hours=open_now, live_chat=sla.live_chat_open(now, online))
