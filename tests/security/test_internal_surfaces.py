"""Rasa and the action endpoint trust only each other and the hub (issue 16, item 3), on the
running desk: Rasa's HTTP API wants its token, Rasa listens on loopback only, the hub's action
endpoint wants the action secret, and the desk still answers end to end with both in place."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import RunningDesk, greeting, start_chat
from tests.security.conftest import rasa_url

pytestmark = pytest.mark.e2e
RASA_TOKEN = "e2e-rasa-token"
ACTION_SECRET = "e2e-action-secret"
# What the issue measured: this set `verified` on someone else's conversation.
VERIFIED = {"event": "slot", "name": "verified", "value": True}


@pytest.fixture(scope="module")
def desk_env() -> dict[str, str]:
    # Configured, so the test can also show the right credential passes; unset, the
    # launcher makes fresh ones per run (every other e2e module runs that way).
    return {"RASA_AUTH_TOKEN": RASA_TOKEN, "ACTION_SECRET": ACTION_SECRET}


@pytest.mark.parametrize("token", [None, "wrong-token", ""], ids=["none", "wrong", "empty"])
def test_rasa_http_api_refuses_calls_without_its_token(
    desk: RunningDesk, token: str | None
) -> None:
    rasa = rasa_url(desk)
    params = {} if token is None else {"token": token}
    events = f"{rasa}/conversations/e2e-victim/tracker/events"
    for response in (
        httpx.post(events, json=VERIFIED, params=params, timeout=10),
        httpx.get(f"{rasa}/conversations/e2e-victim/tracker", params=params, timeout=10),
        httpx.post(f"{rasa}/model/parse", json={"text": "hi"}, params=params, timeout=10),
        httpx.get(f"{rasa}/status", params=params, timeout=10),
    ):
        assert response.status_code == 401, response.text
        assert response.json()["reason"] == "NotAuthenticated"
    tracker = httpx.get(
        f"{rasa}/conversations/e2e-victim/tracker", params={"token": RASA_TOKEN}, timeout=10
    )
    assert tracker.status_code == 200
    assert tracker.json()["slots"].get("verified") is None  # the refused events changed nothing


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on `port` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_rasa_listens_on_loopback_only(desk: RunningDesk) -> None:
    # Its REST channel (/webhooks/rest/webhook) takes no token: only the hub may reach it.
    port = urlsplit(rasa_url(desk)).port
    assert port is not None
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ACTION_SECRET}"}],
    ids=["none", "wrong", "not-bearer"],
)
def test_the_action_endpoint_refuses_anyone_but_rasa(
    desk: RunningDesk, headers: dict[str, str]
) -> None:
    call = {"next_action": "validate_verify_form", "sender_id": "e2e-victim", "tracker": {}}
    assert httpx.post(f"{desk.url}/webhook", json=call, headers=headers).status_code == 401
    assert httpx.get(f"{desk.url}/actions", headers=headers).status_code == 401
    rasa = {"Authorization": f"Bearer {ACTION_SECRET}"}
    listed = httpx.get(f"{desk.url}/actions", headers=rasa, timeout=10)
    assert "validate_verify_form" in [item["name"] for item in listed.json()]


def test_the_desk_still_answers_end_to_end(desk: RunningDesk) -> None:
    # /readyz asks Rasa's /status with the token; a greeting runs Rasa's call to the actions.
    ready = httpx.get(f"{desk.url}/readyz", timeout=10).json()
    assert ready["checks"]["rasa"] == "ok"
    chat = start_chat(desk)
    response = httpx.post(chat.url, json={"text": "bonjour"}, headers=chat.headers, timeout=30)
    assert response.status_code == 200, response.text
    # French: action_validate_slot_mappings, run by Rasa through the guarded endpoint, set it.
    assert [reply["text"] for reply in response.json()["replies"]] == [greeting("fr")]
    log = desk.log.read_text()
    assert '"POST /webhook HTTP/1.1" 200' in log
    assert RASA_TOKEN not in log  # not in Rasa's output, nor in any logged URL
