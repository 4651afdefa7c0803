"""Issue 16, item 2: who the customer is and what plan they have come only from a signed
identity token, the channel itself (a platform's user id) or verification. On main a REST
caller's `metadata.email` (or account id, sender id) attached that customer's card to the
conversation, and `metadata.plan: premium` bought priority and the 12 h SLA."""

from __future__ import annotations

import time
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.conversations.mail import MailIntake
from bot.db import session_factory
from bot.db.models import Conversation, Customer, CustomerIdentity, Ticket
from bot.runtime.demo import seed_demo
from bot.security.identity import sign
from bot.settings import Settings
from bot.tickets.handoffs import with_claims
from bot.triage.routing import route
from tests.integration.conftest import start_chat
from tests.security.conftest import Socket

PAUL = {"email": "paul.premium@example.com", "account_id": "acc-2002"}  # demo: premium


@pytest.fixture
async def paul(app: FastAPI) -> Customer:
    """The demo's premium customer, who also has a CRM id on the API channel."""
    sessions = session_factory(app.state.engine)
    await seed_demo(sessions)
    async with sessions.begin() as session:
        customer = await session.scalar(select(Customer).where(Customer.account_id == "acc-2002"))
        assert customer is not None
        session.add(CustomerIdentity(customer_id=customer.id, channel="api", external_id="crm-42"))
    return customer


async def _conversation(app: FastAPI, conversation_id: str) -> Conversation:
    async with session_factory(app.state.engine)() as session:
        found = await session.get(Conversation, conversation_id)
        assert found is not None
        return found


@pytest.mark.parametrize(
    "claim",
    [
        {"email": PAUL["email"]},
        {"account_id": PAUL["account_id"], "plan": "enterprise"},
        {"sender_id": "crm-42"},
        {"external_user_id": "crm-42"},  # posing as a platform's user id
    ],
    ids=["email", "account-and-plan", "sender-id", "external-user-id"],
)
async def test_an_unsigned_claim_attaches_no_card_and_is_kept_as_a_claim(
    client: httpx.AsyncClient, app: FastAPI, paul: Customer, claim: dict[str, str]
) -> None:
    chat = await start_chat(client)
    await client.post(
        chat.messages,
        json={"text": "I need help", "metadata": {**claim, "page": "/pricing"}},
        headers=chat.headers,
    )
    assert (await _conversation(app, chat.id)).customer_id is None
    (stored,) = await app.state.store.history(chat.id)
    assert stored.meta == {"page": "/pricing", "claimed": claim}


async def test_a_signed_identity_names_the_customer(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, paul: Customer
) -> None:
    token = sign({**PAUL, "plan": "premium", "exp": time.time() + 60}, settings.signing_key())
    chat = await start_chat(client)
    await client.post(
        chat.messages,
        json={"text": "I need help", "metadata": {"identity": token, "plan": "enterprise"}},
        headers=chat.headers,
    )
    assert (await _conversation(app, chat.id)).customer_id == paul.id
    (stored,) = await app.state.store.history(chat.id)
    # The signed plan counts; the unsigned one is only a claim, and the token is not stored.
    assert stored.meta == {
        "account_id": "acc-2002",
        "plan": "premium",
        "claimed": {"plan": "enterprise"},
    }


@pytest.mark.parametrize(
    "token",
    [
        sign({**PAUL, "plan": "premium", "exp": time.time() + 60}, b"someone else's key"),
        "eyJhY2NvdW50X2lkIjoiYWNjLTIwMDIifQ.forged",
    ],
    ids=["other-key", "garbage"],
)
async def test_a_forged_identity_names_nobody(
    client: httpx.AsyncClient, app: FastAPI, paul: Customer, token: str
) -> None:
    chat = await start_chat(client)
    await client.post(
        chat.messages,
        json={"text": "hi", "metadata": {"identity": token}},
        headers=chat.headers,
    )
    assert (await _conversation(app, chat.id)).customer_id is None


async def test_an_expired_identity_signed_with_the_desk_key_names_nobody(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, paul: Customer
) -> None:
    token = sign({**PAUL, "plan": "premium", "exp": time.time() - 1}, settings.signing_key())
    chat = await start_chat(client)
    await client.post(
        chat.messages, json={"text": "hi", "metadata": {"identity": token}}, headers=chat.headers
    )
    assert (await _conversation(app, chat.id)).customer_id is None


async def test_web_chat_claims_are_kept_as_claims_too(
    hub_url: str, app: FastAPI, paul: Customer
) -> None:
    socket = Socket()
    try:
        confirmed = await socket.open(hub_url)
        custom: dict[str, Any] = {"language": "en", "email": PAUL["email"], "plan": "premium"}
        await socket.client.emit("user_uttered", {"message": "hello", "customData": custom})
        await socket.wait("bot_uttered")  # Rasa is down: a notice, after the message is stored
    finally:
        await socket.client.disconnect()
    assert (await _conversation(app, confirmed["session_id"])).customer_id is None
    (stored,) = await app.state.store.history(confirmed["session_id"])
    assert stored.meta == {"claimed": {"email": PAUL["email"], "plan": "premium"}}


async def test_a_ticket_shows_claims_as_unverified_and_never_prices_them(
    client: httpx.AsyncClient, app: FastAPI, paul: Customer
) -> None:
    """What the router does with a hand-off of a claiming customer: the plan of the ticket
    (priority, SLA) is the trusted one (none: free), the claim is there for agents to see."""
    chat = await start_chat(client)
    await client.post(chat.messages, json={"text": "a person please"}, headers=chat.headers)
    claimed = {"plan": "premium", "email": PAUL["email"]}
    decision = route("human_request", 1.0, "a person please", "en", None, handoff=True)
    opened = await app.state.tickets.open_from_handoff(
        chat.id,
        with_claims(decision.as_dict(), claimed, proven=False),
        channel="api",
        lang="en",
        plan=None,
    )
    ticket: Ticket = opened.ticket
    assert (ticket.plan, ticket.priority, ticket.customer_id) == ("free", "normal", None)
    assert "identity_unverified" in ticket.tags
    assert ticket.routing["claimed"] == claimed
    assert ticket.routing["identity_verified"] is False
    # A verified customer's extra words are shown, but not flagged as an unproven identity.
    verified = {**decision.as_dict(), "verified": True, "topic": "refund_request"}
    again = await app.state.tickets.open_from_handoff(
        chat.id, with_claims(verified, claimed, proven=False), channel="api", lang="en", plan=None
    )
    assert "identity_unverified" not in again.ticket.tags


async def test_an_email_finds_the_card_but_the_ticket_says_it_is_unverified(
    app: FastAPI, paul: Customer
) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"] = PAUL["email"], "support@imageko.com"
    mail["Subject"], mail["Message-ID"] = "Refund please", "<claims-1@mail.example>"
    mail.set_content("I was charged and want a refund.")
    intake: MailIntake = app.state.mail_intake
    received = await intake.receive(mail.as_bytes())  # Rasa is down: people take it
    assert received.ticket is not None
    ticket = await app.state.tickets.get(received.ticket)
    assert ticket.customer_id == paul.id  # the From address found the card...
    assert "identity_unverified" in ticket.tags  # ...but proves nothing
    assert (ticket.routing["identity_verified"], ticket.routing["identity_source"]) == (
        False,
        "email_from",
    )
