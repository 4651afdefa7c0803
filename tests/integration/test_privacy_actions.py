"""The privacy step after verification, through the hub's action endpoint: which request the
customer means, the confirmation an erasure needs, and what `action_privacy` does."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot import verification
from bot.db import session_factory
from bot.db.models import Customer, utcnow
from bot.runtime.demo import DEMO_CUSTOMERS, seed_demo
from bot.settings import Settings
from bot.verification.codes import totp
from tests.conftest import ACTION_SECRET, SmtpSink
from tests.integration.test_actions import action_call

PAUL = next(c for c in DEMO_CUSTOMERS if c["account_id"] == "acc-2002")  # has an authenticator


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    settings.smtp_port = smtp_sink.port
    return settings


RASA = {"Authorization": f"Bearer {ACTION_SECRET}"}  # how Rasa calls (endpoints.yml headers)


async def run(
    client: httpx.AsyncClient,
    action: str,
    slots: dict[str, Any],
    intent: str = "nlu_fallback",
    text: str = "",
    candidates: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An action call for conversation c1; `candidates` are the slots a form just extracted
    (Rasa sends them as the tracker's last events)."""
    call = action_call(action, {}, slots)
    tracker = call["tracker"]
    tracker["latest_message"].update({"text": text, "intent": {"name": intent}})
    tracker["events"] = [{"event": "user", "text": text}] + [
        {"event": "slot", "name": name, "value": value}
        for name, value in (candidates or {}).items()
    ]
    if candidates:
        tracker["active_loop"] = {"name": "privacy_form"}
    response = await client.post("/webhook", json=call, headers=RASA)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def slots(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def followups(result: dict[str, Any]) -> list[str]:
    return [e["name"] for e in result["events"] if e["event"] == "followup"]


async def _verified(app: FastAPI) -> int:
    """Paul proves ownership in c1 with his authenticator, as the verify form does it."""
    sessions = session_factory(app.state.engine)
    await seed_demo(sessions)
    await verification.current().start("c1", PAUL["email"], "en", mail_code=False)
    check = await verification.current().check("c1", totp(PAUL["totp_secret"], utcnow()))
    assert check.customer_id is not None
    return check.customer_id


@pytest.mark.parametrize(
    ("intent", "text", "lang", "expected"),
    [
        ("privacy_export", "/privacy_export", "en", {"privacy_request": "export"}),
        ("privacy_erase", "/privacy_erase", "fr", {"privacy_request": "erase"}),
        ("data_privacy", "quiero que borréis todos mis datos", "es", {"privacy_request": "erase"}),
        (
            "data_privacy",
            "envoyez-moi une copie de mes données",
            "fr",
            {"privacy_request": "export"},
        ),
        (
            "data_privacy",
            "download it, then delete everything",
            "en",
            {"privacy_request": "people"},
        ),
        ("human_request", "/human_request", "en", {"privacy_request": "people"}),
    ],
)
async def test_the_request_is_read_from_the_button_or_the_words(
    client: httpx.AsyncClient, intent: str, text: str, lang: str, expected: dict[str, Any]
) -> None:
    state = {"lang": lang, "requested_slot": "privacy_request"}
    result = await run(
        client, "validate_privacy_form", state, intent, text, {"privacy_request": text}
    )
    got = slots(result)
    assert got["privacy_request"] == expected["privacy_request"]
    # Only an erasure asks for confirmation; the others are ready to carry out.
    assert ("privacy_confirm" in got) == (expected["privacy_request"] != "erase")


@pytest.mark.parametrize(
    ("intent", "text", "confirmed"),
    [("affirm", "/affirm", "yes"), ("deny", "/deny", "no"), ("nlu_fallback", "hmm", "no")],
)
async def test_only_the_confirm_button_confirms_an_erasure(
    client: httpx.AsyncClient, intent: str, text: str, confirmed: str
) -> None:
    state = {"lang": "en", "privacy_request": "erase", "requested_slot": "privacy_confirm"}
    result = await run(
        client, "validate_privacy_form", state, intent, text, {"privacy_confirm": text}
    )
    assert slots(result)["privacy_confirm"] == confirmed


async def test_an_export_mails_the_link_and_says_for_how_long(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await _verified(app)
    state = {"lang": "en", "verified": True, "privacy_request": "export"}
    result = await run(client, "action_privacy", {**state, "privacy_confirm": "not_asked"})
    (said,) = result["responses"]
    assert (said["response"], said["hours"]) == ("utter_privacy_export_sent", 48)
    (mail,) = smtp_sink.messages
    assert mail["To"] == PAUL["email"]
    assert re.search(r"/privacy/exports/\S+", mail.get_content())
    # Done: the next request proves ownership again.
    assert slots(result)["verified"] is None
    assert followups(result) == ["action_listen"]


async def test_an_erasure_goes_ahead_only_when_confirmed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    paul = await _verified(app)
    asked = {"lang": "en", "verified": True, "privacy_request": "erase"}
    kept = await run(client, "action_privacy", {**asked, "privacy_confirm": "no"})
    assert [r["response"] for r in kept["responses"]] == ["utter_privacy_kept"]
    async with session_factory(app.state.engine)() as session:
        assert await session.get(Customer, paul) is not None
    done = await run(client, "action_privacy", {**asked, "privacy_confirm": "yes"})
    assert [r["response"] for r in done["responses"]] == ["utter_privacy_erased"]
    async with session_factory(app.state.engine)() as session:
        assert await session.get(Customer, paul) is None
        left = await session.scalar(select(Customer.id).where(Customer.email == PAUL["email"]))
        assert left is None


@pytest.mark.parametrize("request_", ["export", "erase", "people"])
async def test_without_proof_in_the_store_people_take_it_whatever_the_slot_says(
    client: httpx.AsyncClient, smtp_sink: SmtpSink, request_: str
) -> None:
    # `verified` is a slot anyone who can write the tracker could set; the store has no
    # verification for c1, so nothing is mailed and nothing is erased.
    state = {"lang": "en", "verified": True, "privacy_request": request_, "privacy_confirm": "yes"}
    result = await run(client, "action_privacy", state)
    assert result["responses"] == []
    assert followups(result) == ["action_handoff"]
    assert smtp_sink.messages == []
