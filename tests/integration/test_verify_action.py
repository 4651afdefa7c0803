"""`validate_verify_form` through the hub's action endpoint, as Rasa calls it: what the customer
is told once an account's wrong tries are used up — also in a new conversation, also for an
email no account has — and that no code is mailed then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.db import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.http.app import create_app
from bot.runtime.demo import seed_demo
from bot.settings import Settings
from tests.conftest import SmtpSink
from tests.integration.test_actions import RASA, action_call, slot_events

ANA = "ana.free@example.com"  # a demo account
WRONG = "000 000"


@pytest.fixture
async def hub(settings: Settings, smtp_sink: SmtpSink) -> AsyncIterator[FastAPI]:
    configured = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port})
    engine = create_engine(configured.effective_database_url)
    await upgrade(engine)
    await seed_demo(session_factory(engine))
    await engine.dispose()
    app = create_app(configured)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(hub: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hub)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        yield http


async def _validate(
    client: httpx.AsyncClient, conversation: str, slot: str, value: str
) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """One turn of the verification form: the customer's text fills `slot`; what the action
    says (response, tries left) and the slots it sets."""
    call = action_call("validate_verify_form", {}, {"lang": "en", "requested_slot": slot})
    call["sender_id"] = call["tracker"]["sender_id"] = conversation
    tracker = call["tracker"]
    tracker["latest_message"]["text"] = value
    tracker["active_loop"] = {"name": "verify_form"}
    tracker["events"] = [
        {"event": "user", "text": value, "parse_data": {}},
        {"event": "slot", "name": slot, "value": value},
    ]
    response = await client.post("/webhook", json=call, headers=RASA)
    assert response.status_code == 200
    result = response.json()
    said = [(r.get("response"), r.get("tries_left")) for r in result["responses"]]
    return said, slot_events(result)


async def _lock(client: httpx.AsyncClient, email: str, conversation: str) -> list[Any]:
    """An attacker's five wrong codes for `email`: what each turn says."""
    told: list[Any] = [await _validate(client, conversation, "account_email", email)]
    for _ in range(5):
        told.append(await _validate(client, conversation, "verification_code", WRONG))
    return told


async def test_a_locked_account_is_told_at_once_in_a_new_conversation_and_gets_no_mail(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    told = await _lock(client, ANA, "attacker-1")
    # A wrong code leaves its tries for the form's next ask (`action_ask_verification_code`).
    assert [(said, slots.get("code_tries_left")) for said, slots in told] == [
        ([], None),  # the email: the form goes on to ask for the code
        ([], 4),
        ([], 3),
        ([], 2),
        ([], 1),
        ([("utter_code_failed", None)], None),
    ]
    mails = len(smtp_sink.messages)
    # Starting again, here or in any conversation, gives no new tries: the customer is told
    # at once that a person will verify them, and no code is mailed.
    said, slots = await _validate(client, "attacker-2", "account_email", ANA)
    assert said == [("utter_code_failed", None)]
    assert slots == {
        "account_email": ANA,
        "verification_code": "locked",
        "verified": False,
    }
    assert len(smtp_sink.messages) == mails


async def test_an_unknown_email_is_told_exactly_the_same(
    client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    """Policy §8: nothing the customer is told depends on whether the account exists."""
    unknown = "nobody.at.all@example.com"

    def without_email(told: list[Any], email: str) -> list[Any]:
        return [(said, {k: v for k, v in slots.items() if v != email}) for said, slots in told]

    known = without_email(await _lock(client, ANA, "k-1"), ANA)
    assert without_email(await _lock(client, unknown, "u-1"), unknown) == known
    again = await _validate(client, "u-2", "account_email", unknown)
    assert again == (
        [("utter_code_failed", None)],
        {"account_email": unknown, "verification_code": "locked", "verified": False},
    )
    assert all(mail["To"] == ANA for mail in smtp_sink.messages)
