"""The web chat's Socket.IO endpoint on the running desk, driven by python-socketio's client
speaking Rasa's socket.io protocol (what rasa-webchat sends)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

import httpx
import pytest
import socketio

from bot.security.identity import sign
from channels.base.markup import to_html
from tests.e2e.conftest import greeting
from tests.e2e.desk import SECRET_KEY, RunningDesk

pytestmark = pytest.mark.e2e
WAIT_S = 30


class Tab:
    """One browser tab: a socket and what arrived on it, by event."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.session = self.token = ""  # what session_confirm gave
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.arrived = asyncio.Event()
        for name in ("session_confirm", "bot_uttered", "handoff", "error", "typing"):
            self.client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: Any = None) -> None:
            self.events[name].append(data)
            self.arrived.set()

        return record

    async def wait(self, name: str, count: int = 1) -> list[Any]:
        """Until `count` events of `name` arrived (bounded: 30 s)."""
        async with asyncio.timeout(WAIT_S):
            while len(self.events[name]) < count:
                self.arrived.clear()
                if len(self.events[name]) >= count:
                    break
                await self.arrived.wait()
        return self.events[name]

    @property
    def auth(self) -> dict[str, str]:
        """The session's token, for the REST history and uploads."""
        return {"Authorization": f"Bearer {self.token}"}

    def texts(self) -> list[str]:
        return [e.get("text", "") for e in self.events["bot_uttered"]]


@pytest.fixture(scope="module")
def desk_env() -> dict[str, str]:
    """Eight messages a minute per conversation: the flood test sends twelve at once."""
    return {"RATE_MESSAGES_PER_CONVERSATION": "8"}


async def _open(desk: RunningDesk, resume: Tab | None = None) -> Tab:
    """A connected tab with a confirmed session: a new one, or `resume`'s (with its token)."""
    tab = Tab()
    await tab.client.connect(desk.url, transports=["websocket"])
    asked = {"session_id": resume.session, "token": resume.token} if resume else {}
    await tab.client.emit("session_request", asked)
    (confirmed,) = await tab.wait("session_confirm")
    tab.session, tab.token = confirmed["session_id"], confirmed["token"]
    if resume is not None:
        assert tab.session == resume.session
    return tab


async def test_two_tabs_of_one_session_see_the_same_conversation(desk: RunningDesk) -> None:
    first = await _open(desk)
    second = await _open(desk, resume=first)
    try:
        await first.client.emit("user_uttered", {"message": "hello", "session_id": first.session})
        await first.wait("bot_uttered")
        await second.wait("bot_uttered")
        assert first.texts() == second.texts() == [greeting("en")]
        assert first.events["bot_uttered"][0] == {
            "text": greeting("en"),
            "metadata": {"sender": "bot", "html": to_html(greeting("en"), breaks=True)},
        }
        # The conversation is the session: its history is there for a reload.
        url = f"{desk.url}/api/v1/conversations/{first.session}/messages"
        async with httpx.AsyncClient(timeout=10, headers=first.auth) as http:
            history = (await http.get(url)).json()
        assert [m["text"] for m in history] == ["hello", greeting("en")]
    finally:
        await first.client.disconnect()
        await second.client.disconnect()


async def test_a_person_takes_over_in_the_widget(desk: RunningDesk) -> None:
    tab = await _open(desk)
    try:
        await tab.client.emit(
            "user_uttered",
            {"message": "I want to talk to a human", "session_id": tab.session, "customData": {}},
        )
        (handoff,) = await tab.wait("handoff")
        number = handoff["ticket"]
        assert any(number in text for text in tab.texts())
        agent = desk.agent("lea")
        url = f"{desk.url}/api/v1/tickets/{number}"
        async with httpx.AsyncClient(timeout=10, headers=agent) as http:
            assert (await http.post(f"{url}/claim")).status_code == 200
            reply = await http.post(f"{url}/reply", json={"text": "Hi! Léa here."})
        assert reply.status_code == 200, reply.text
        joined = ("Léa from the support team joined the conversation.", "system")
        said = ("Hi! Léa here.", "agent")

        def heard() -> list[tuple[str, str]]:
            return [(e["text"], e["metadata"]["sender"]) for e in tab.events["bot_uttered"]]

        async with asyncio.timeout(WAIT_S):
            while said not in heard():
                await tab.wait("bot_uttered", len(tab.events["bot_uttered"]) + 1)
        assert heard().index(joined) < heard().index(said)
    finally:
        await tab.client.disconnect()


MINE = "<the tab's session>"


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("session_request", {"session_id": "x"}, "bad_session"),
        ("session_request", {"session_id": "../../etc/passwd"}, "bad_session"),
        ("user_uttered", {"message": "hi", "session_id": "webchat-e2e-other"}, "foreign_session"),
        ("user_uttered", {"message": "   ", "session_id": MINE}, "empty_message"),
        ("user_uttered", {"message": "x" * 5000, "session_id": MINE}, "too_long"),
        ("user_uttered", ["not", "an", "object"], "bad_event"),
        ("user_uttered", {"message": "nul\x00", "session_id": MINE}, "control_character"),
        ("user_uttered", {"message": "\ud800", "session_id": MINE}, "lone_surrogate"),
        ("user_uttered", {"message": "hi", "customData": {"language": "xx"}}, "unsupported_lang"),
    ],
)
async def test_bad_events_get_a_named_error(
    desk: RunningDesk, event: str, payload: Any, code: str
) -> None:
    tab = await _open(desk)
    if isinstance(payload, dict) and payload.get("session_id") == MINE:
        payload = {**payload, "session_id": tab.session}
    try:
        await tab.client.emit(event, payload)
        (error,) = await tab.wait("error")
        assert error["code"] == code
        assert tab.events["bot_uttered"] == []
    finally:
        await tab.client.disconnect()


async def test_a_flood_gets_a_polite_notice_and_nothing_is_lost(desk: RunningDesk) -> None:
    tab = await _open(desk)
    session = tab.session
    try:
        for number in range(12):
            await tab.client.emit(
                "user_uttered", {"message": f"hi {number}", "session_id": session}
            )
        url = f"{desk.url}/api/v1/conversations/{session}/messages"
        async with httpx.AsyncClient(timeout=10, headers=tab.auth) as http, asyncio.timeout(WAIT_S):
            while True:  # until every message is stored and done with (bounded)
                history = (await http.get(url)).json()
                mine = [m for m in history if m["sender"] == "customer"]
                if len(mine) == 12 and all(m["status"] != "received" for m in mine):
                    break
                await asyncio.sleep(0.2)
        assert sorted(m["text"] for m in mine) == sorted(f"hi {n}" for n in range(12))
        refused = [m for m in mine if m["status"] == "failed"]
        notices = [t for t in tab.texts() if "very fast" in t]
        assert refused  # the flood was noticed...
        assert len(notices) == len(refused)  # ...each refusal told, and kept, not lost
    finally:
        await tab.client.disconnect()


@pytest.mark.parametrize(
    ("custom", "plan", "priority"),
    [
        ({"identity": "SIGNED"}, "premium", "high"),  # the site vouches: premium
        ({"plan": "enterprise", "account_id": "acc-2002"}, "free", "normal"),  # unsigned: ignored
        ({"identity": "forged.token"}, "free", "normal"),
    ],
)
async def test_only_a_signed_identity_sets_the_plan(
    desk: RunningDesk, custom: dict[str, str], plan: str, priority: str
) -> None:
    if custom.get("identity") == "SIGNED":
        claims = {"account_id": "acc-2002", "plan": "premium", "exp": time.time() + 300}
        custom = {"identity": sign(claims, SECRET_KEY.encode())}
    tab = await _open(desk)
    try:
        await tab.client.emit(
            "user_uttered",
            {
                "message": "I want to talk to a human",
                "session_id": tab.session,
                "customData": custom,
            },
        )
        (handoff,) = await tab.wait("handoff")
        agent = desk.agent("lea")
        async with httpx.AsyncClient(timeout=10, headers=agent) as http:
            ticket = (await http.get(f"{desk.url}/api/v1/tickets/{handoff['ticket']}")).json()
        assert (ticket["ticket"]["plan"], ticket["ticket"]["priority"]) == (plan, priority)
    finally:
        await tab.client.disconnect()
