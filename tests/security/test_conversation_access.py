"""Issue 16, item 1: only the holder of a conversation's token reads or writes it, and platform
conversations are not reachable through the public API at all. Each test is an attack an
anonymous client on loopback could try; on main each of them succeeded."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.conversations.store import ConversationStore
from bot.db.models import Message, Ticket
from bot.security.tokens import conversation_token
from bot.settings import Settings
from channels.base import InboundMessage, OutboundMessage
from tests.integration.conftest import start_chat
from tests.security.conftest import Socket

# The conversation ids the platforms' adapters make (and the old guessable REST ones).
PLATFORM_IDS = [
    "telegram:123456789",
    "twitter:987654321",
    "x:987654321",
    "messenger:1234",
    "instagram:5678",
    "slack:T01-C01-U01",
    "email-0123456789abcdef01234567",
    "demo-1",
]
MESSAGES = "/api/v1/conversations/{}/messages"
UPLOADS = "/api/v1/conversations/{}/uploads"


async def _dm(app: FastAPI, conversation_id: str, channel: str) -> None:
    """A customer's private message on a platform, as its adapter stores it."""
    store: ConversationStore = app.state.store
    text = "my order number is 4471, my address is 1 Main St"
    await store.record_inbound(InboundMessage(conversation_id, channel, text), "en")


async def _messages(app: FastAPI) -> int:
    async with app.state.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(Message)) or 0)


def _denied(response: httpx.Response) -> tuple[int, str | None, object]:
    return response.status_code, response.headers.get("www-authenticate"), response.json()


@pytest.mark.parametrize("conversation_id", PLATFORM_IDS)
async def test_a_platform_transcript_cannot_be_read(
    client: httpx.AsyncClient, app: FastAPI, conversation_id: str
) -> None:
    """Main: `GET /api/v1/conversations/telegram:<id>/messages` -> 200 with the DMs."""
    await _dm(app, conversation_id, conversation_id.split(":")[0].split("-")[0])
    anonymous = await client.get(MESSAGES.format(conversation_id))
    other = await start_chat(client)  # a genuine token, of another conversation
    borrowed = await client.get(MESSAGES.format(conversation_id), headers=other.headers)
    assert _denied(anonymous) == _denied(borrowed)
    assert anonymous.status_code == 401
    assert "4471" not in anonymous.text + borrowed.text


@pytest.mark.parametrize("conversation_id", ["telegram:123456789", "slack:T01-C01-U01"])
async def test_nobody_writes_into_a_platform_conversation(
    client: httpx.AsyncClient, app: FastAPI, conversation_id: str
) -> None:
    """Main: `POST` into a Telegram conversation -> 200, a trust ticket opened, and the real
    customer's next message joined it while the bot stayed silent."""
    await _dm(app, conversation_id, conversation_id.split(":")[0])
    before = await _messages(app)
    forged = {"Authorization": "Bearer " + conversation_token(conversation_id, b"guessed key")}
    for headers in ({}, forged):
        response = await client.post(
            MESSAGES.format(conversation_id),
            json={"text": "I want to report abuse, open a ticket"},
            headers=headers,
        )
        assert response.status_code == 401
        upload = await client.post(UPLOADS.format(conversation_id), content=b"x", headers=headers)
        assert upload.status_code == 401
    assert await _messages(app) == before  # nothing stored, no ticket
    async with app.state.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(Ticket)) == 0


async def test_only_public_conversations_are_reachable_even_with_the_desks_key(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    """Defence in depth: the desk never issues a token for a platform conversation, and a
    token computed for one with the desk's own key (a leaked key, a bug) still opens nothing."""
    await _dm(app, "telegram:123456789", "telegram")
    signed = conversation_token("telegram:123456789", settings.signing_key())
    response = await client.get(
        MESSAGES.format("telegram:123456789"), headers={"Authorization": f"Bearer {signed}"}
    )
    assert response.status_code == 401
    assert "4471" not in response.text


async def test_missing_malformed_and_wrong_tokens_all_get_the_same_answer(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """No existence oracle: a real conversation and a made-up one answer alike."""
    mine, yours = await start_chat(client), await start_chat(client)
    await client.post(mine.messages, json={"text": "hello"}, headers=mine.headers)
    never_made = "api-" + "0" * 32
    attempts = [
        (mine.messages, {}),
        (mine.messages, {"Authorization": "Bearer"}),
        (mine.messages, {"Authorization": "Bearer not-a-token"}),
        (mine.messages, {"Authorization": "Basic " + mine.token}),
        (mine.messages, {"Authorization": "Bearer " + mine.token[:-1]}),
        (mine.messages, yours.headers),
        (MESSAGES.format(never_made), {}),
        (MESSAGES.format(never_made), mine.headers),
        (MESSAGES.format("telegram:1"), mine.headers),
    ]
    answers = {
        (status, challenge, str(body))
        for status, challenge, body in [
            _denied(await client.get(url, headers=headers)) for url, headers in attempts
        ]
    }
    assert len(answers) == 1
    ((status, challenge, _),) = answers
    assert (status, challenge) == (401, "Bearer")


async def test_only_the_token_opens_its_conversation(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """The README's two commands: create (id + token), then post and read with the token."""
    chat = await start_chat(client)
    assert chat.id.startswith("api-")
    assert len(chat.id) == 36  # 128 random bits
    posted = await client.post(chat.messages, json={"text": "hola"}, headers=chat.headers)
    assert posted.status_code == 503  # stored; Rasa is down in these tests
    history = await client.get(chat.messages, headers=chat.headers)
    assert [m["text"] for m in history.json()] == ["hola"]
    second = await start_chat(client)
    assert second.id != chat.id
    assert second.token != chat.token


async def test_the_openapi_docs_show_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ConversationToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["ConversationToken"]["description"],
    }
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/conversations/{conversation_id}/messages", "get"),
        ("/api/v1/conversations/{conversation_id}/messages", "post"),
        ("/api/v1/conversations/{conversation_id}/uploads", "post"),
    ]:
        assert paths[path][method]["security"] == [{"ConversationToken": []}]
    assert "security" not in paths["/api/v1/conversations"]["post"]  # anyone may start one


async def test_a_second_socket_cannot_join_another_visitors_room(
    hub_url: str, app: FastAPI
) -> None:
    """Main: a second socket sending `session_request` with another visitor's session id
    received that visitor's replies."""
    visitor, intruder, again = Socket(), Socket(), Socket()
    try:
        mine = await visitor.open(hub_url)
        for ask in (
            {"session_id": mine["session_id"]},  # the id alone (as on main)
            {"session_id": mine["session_id"], "token": "forged"},
            {"session_id": mine["session_id"], "token": conversation_token("x", b"k")},
        ):
            await intruder.client.disconnect()
            intruder = Socket()
            theirs = await intruder.open(hub_url, ask)
            assert theirs["session_id"] != mine["session_id"]  # a fresh session instead
        resumed = await again.open(hub_url, mine)  # the visitor's own other tab: with the token
        assert resumed == mine
        await app.state.webchat.send(OutboundMessage(mine["session_id"], "for the visitor only"))
        await visitor.wait("bot_uttered")
        await again.wait("bot_uttered")
        assert intruder.events["bot_uttered"] == []
    finally:
        for socket in (visitor, intruder, again):
            await socket.client.disconnect()


async def test_a_socket_message_always_lands_in_its_own_confirmed_session(
    hub_url: str, app: FastAPI
) -> None:
    """`user_uttered` naming another session is refused; nothing is stored there."""
    victim, attacker = Socket(), Socket()
    try:
        theirs = await victim.open(hub_url)
        await attacker.open(hub_url)
        await attacker.client.emit(
            "user_uttered", {"message": "hi", "session_id": theirs["session_id"]}
        )
        (error,) = await attacker.wait("error")
        assert error["code"] == "foreign_session"
        assert await app.state.store.history(theirs["session_id"]) == []
    finally:
        await victim.client.disconnect()
        await attacker.client.disconnect()
