"""The action endpoint answers Rasa's action calls, in the hub and as rasa_sdk's own server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from bot.http.app import create_app
from bot.runtime.launcher import free_port
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import ACTION_SECRET

RASA = {"Authorization": f"Bearer {ACTION_SECRET}"}  # how Rasa calls (endpoints.yml headers)


def action_call(action: str, metadata: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """An action call shaped like the ones Rasa 3.6 posts, with the project's real domain."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    return {
        "next_action": action,
        "sender_id": "c1",
        "version": "3.6.21",
        "domain": domain,
        "tracker": {
            "sender_id": "c1",
            "slots": slots,
            "latest_message": {
                "text": "hola",
                "intent": {"name": "greet", "confidence": 0.95},
                "entities": [],
                "metadata": metadata,
            },
            "latest_event_time": time.time(),
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action": {"action_name": "action_listen"},
            "latest_action_name": "action_listen",
        },
    }


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


async def test_hub_fills_lang_from_the_metadata(client: httpx.AsyncClient) -> None:
    call = action_call("action_validate_slot_mappings", {"lang": "es"}, {"lang": "en"})
    response = await client.post("/webhook", json=call, headers=RASA)
    assert response.status_code == 200
    assert slot_events(response.json()) == {"lang": "es"}


async def test_without_metadata_the_language_is_kept(client: httpx.AsyncClient) -> None:
    call = action_call("action_validate_slot_mappings", {}, {"lang": "fr"})
    response = await client.post("/webhook", json=call, headers=RASA)
    assert slot_events(response.json()) == {"lang": "fr"}


async def test_the_plan_the_channel_knows_is_kept_for_the_priority_raise(
    client: httpx.AsyncClient,
) -> None:
    call = action_call("action_validate_slot_mappings", {"lang": "en", "plan": "Premium"}, {})
    response = await client.post("/webhook", json=call, headers=RASA)
    assert slot_events(response.json()) == {"lang": "en", "plan": "premium"}


async def test_unknown_action_is_404_like_rasa_sdk(client: httpx.AsyncClient) -> None:
    response = await client.post("/webhook", json=action_call("action_nope", {}, {}), headers=RASA)
    assert response.status_code == 404
    assert response.json()["action_name"] == "action_nope"


async def test_malformed_action_call_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/webhook", content=b"{nope", headers=RASA)
    assert response.status_code == 400


async def test_actions_are_listed(client: httpx.AsyncClient) -> None:
    names = [item["name"] for item in (await client.get("/actions", headers=RASA)).json()]
    assert "action_validate_slot_mappings" in names


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-secret"},
        {"Authorization": f"Basic {ACTION_SECRET}"},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong", "not-bearer", "empty"],
)
async def test_only_rasa_may_call_the_action_endpoint(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    # validate_verify_form mails a code to the address in the call: the attack of issue 16.
    call = action_call("validate_verify_form", {}, {"requested_slot": "account_email"})
    refused = await client.post("/webhook", json=call, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert (await client.get("/actions", headers=headers)).status_code == 401


async def test_without_a_configured_secret_every_call_is_refused(settings: Settings) -> None:
    settings.action_secret = None
    hub = create_app(settings)  # refused before any service is needed: no lifespan
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hub), base_url="http://h"
    ) as http:
        call = action_call("action_validate_slot_mappings", {"lang": "es"}, {})
        for headers in ({}, RASA, {"Authorization": "Bearer "}):
            assert (await http.post("/webhook", json=call, headers=headers)).status_code == 401


@pytest.fixture(scope="module")
def standalone_action_server() -> Iterator[str]:
    """`python -m rasa_sdk --actions actions`, as a scaled-out deployment runs it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "ACTION_SECRET": ACTION_SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "rasa_sdk's server exited"
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "rasa_sdk's server not ready in 60 s"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # Sanic can sit on SIGTERM, like `rasa run`
            process.kill()
            process.wait(10)


def test_the_same_actions_run_on_rasa_sdk_own_server(standalone_action_server: str) -> None:
    call = action_call("action_validate_slot_mappings", {"lang": "fr"}, {"lang": "en"})
    url = standalone_action_server
    response = httpx.post(f"{url}/webhook", json=call, headers=RASA, timeout=10)
    assert response.status_code == 200
    assert slot_events(response.json()) == {"lang": "fr"}
    # rasa_sdk_plugins guards it like the hub's endpoint; its health check stays open.
    for headers in ({}, {"Authorization": "Bearer wrong-secret"}):
        assert httpx.post(f"{url}/webhook", json=call, headers=headers).status_code == 401
        assert httpx.get(f"{url}/actions", headers=headers).status_code == 401
    assert httpx.get(f"{url}/health").status_code == 200
