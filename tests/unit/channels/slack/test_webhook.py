"""POST /webhooks/slack/events and /webhooks/slack/interactions on a FastAPI app: size, then
signature, then parsing, then each message once."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from channels.slack.adapter import SlackAdapter
from channels.slack.webhook import EVENTS_PATH, INTERACTIONS_PATH, slack_router
from tests.fakes.desk import Desk
from tests.fakes.slack_api import (
    CUSTOMER,
    DM,
    HELP,
    TEAM,
    FakeSlack,
    block_actions,
    body_of,
    dm,
    form_of,
    mention,
    sign,
    ts_of,
    unsupported_events,
    url_verification,
)
from tests.unit.channels.webhooks import assert_oversize_refused, webhook_client

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def hub(adapter: SlackAdapter, desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    async with webhook_client(slack_router(adapter, desk.handle, desk.seen)) as client:
        yield client


async def post_event(
    hub: httpx.AsyncClient, delivery: dict[str, Any], **signing: Any
) -> httpx.Response:
    body = body_of(delivery)
    return await hub.post(EVENTS_PATH, content=body, headers=sign(body, **signing))


async def press(hub: httpx.AsyncClient, payload: dict[str, Any], **signing: Any) -> httpx.Response:
    body = form_of(payload)
    headers = sign(body, content_type=FORM, **signing)
    return await hub.post(INTERACTIONS_PATH, content=body, headers=headers)


async def test_a_direct_message_is_handled_with_the_customers_profile(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    response = await post_event(hub, dm("me cobraron dos veces", 1))
    assert response.status_code == 200
    assert desk.texts() == ["me cobraron dos veces"]
    [item] = desk.handled
    assert item.message.conversation_id == f"slack:{TEAM}:{DM}"
    assert item.message.metadata["external_user_id"] == CUSTOMER
    assert item.message.metadata["name"] == "Lucía"
    assert item.message.lang == "es"


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "0" * 32},
        {"timestamp": int(time.time()) - 6 * 60},  # a replay of a genuine call
    ],
    ids=["forged", "stale"],
)
async def test_a_bad_signature_is_refused_and_nothing_is_handled(
    hub: httpx.AsyncClient, desk: Desk, signing: dict[str, Any]
) -> None:
    response = await post_event(hub, dm("hola", 2), **signing)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert response.json()["error"]["message"]
    assert desk.handled == []
    assert desk.ids == set()  # refused before de-duplication: a forgery cannot burn an id
    forged_press = await press(hub, block_actions("/affirm"), **signing)
    assert forged_press.status_code == 401
    assert desk.handled == []


async def test_a_missing_signature_is_refused(hub: httpx.AsyncClient, desk: Desk) -> None:
    for path, body in ((EVENTS_PATH, body_of(dm("hola", 3))), (INTERACTIONS_PATH, b"payload=1")):
        response = await hub.post(path, content=body)
        assert response.status_code == 401
    assert desk.handled == []


async def test_the_url_check_is_answered_only_when_signed(hub: httpx.AsyncClient) -> None:
    response = await post_event(hub, url_verification("3eZbrw1aBm2rZgRNFdxV"))
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}
    forged = await post_event(hub, url_verification("3eZbrw1aBm2rZgRNFdxV"), secret="0" * 32)
    assert forged.status_code == 401
    assert "challenge" not in forged.text


@pytest.mark.parametrize("path", [EVENTS_PATH, INTERACTIONS_PATH])
async def test_an_oversize_body_is_refused_before_it_is_read(
    hub: httpx.AsyncClient, desk: Desk, path: str
) -> None:
    await assert_oversize_refused(hub, path, b'{"type": "event_callback", ', sign)
    assert desk.handled == []


async def test_malformed_json_is_a_bad_request(hub: httpx.AsyncClient, desk: Desk) -> None:
    body = b'{"type": "event_callback", "event": '
    response = await hub.post(EVENTS_PATH, content=body, headers=sign(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"
    assert desk.handled == []


async def test_each_route_takes_only_its_own_kind_of_body(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    event, interaction = body_of(dm("hola", 4)), form_of(block_actions("/affirm"))
    response = await hub.post(INTERACTIONS_PATH, content=event, headers=sign(event))
    assert response.status_code == 400
    response = await hub.post(EVENTS_PATH, content=interaction, headers=sign(interaction))
    assert response.status_code == 400
    assert desk.handled == []


async def test_slacks_retry_of_an_event_is_handled_once(hub: httpx.AsyncClient, desk: Desk) -> None:
    delivery = dm("¿dónde está mi factura?", 5)
    first = await post_event(hub, delivery)
    again = await post_event(hub, delivery, retry=1)  # Slack did not see our answer in time
    assert (first.status_code, again.status_code) == (200, 200)
    assert desk.texts() == ["¿dónde está mi factura?"]


async def test_a_mention_delivered_by_both_subscriptions_is_handled_once(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    as_mention, as_message = mention("¿cómo subo imágenes?", 6)
    assert (await post_event(hub, as_message)).status_code == 200
    assert (await post_event(hub, as_mention)).status_code == 200
    assert (await post_event(hub, as_mention, retry=1)).status_code == 200
    assert desk.texts() == ["¿cómo subo imágenes?"]
    assert desk.handled[0].message.conversation_id == f"slack:{TEAM}:{HELP}:{ts_of(6)}"


async def test_unsupported_events_are_answered_and_dropped(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    for kind, delivery in unsupported_events().items():
        if kind != "url_verification":
            response = await post_event(hub, delivery)
            assert (response.status_code, response.content) == (200, b""), kind
    assert desk.handled == []


async def test_a_button_press_is_handled_as_its_value(
    hub: httpx.AsyncClient, desk: Desk, platform: FakeSlack
) -> None:
    assert (await press(hub, block_actions("/affirm", n=7))).status_code == 200
    assert desk.texts() == ["/affirm"]
    [item] = desk.handled
    assert item.message.conversation_id == f"slack:{TEAM}:{DM}"
    assert item.message.metadata["name"] == "Lucía"
    assert platform.sent() == []  # the press is acknowledged by the 200 alone


async def test_presses_that_are_no_answer_are_acknowledged_and_dropped(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    link = block_actions(None, url="https://desk.example.com/console/tickets/IMG-000042")
    assert (await press(hub, link)).status_code == 200
    assert desk.handled == []


async def test_a_malformed_interaction_is_a_bad_request(hub: httpx.AsyncClient, desk: Desk) -> None:
    body = b"payload=%7Bnot+json"
    response = await hub.post(INTERACTIONS_PATH, content=body, headers=sign(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"
    assert desk.handled == []


async def test_a_failing_handler_is_a_500_and_slacks_retry_is_handled(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    desk.fail_next_handle = True
    delivery = dm("hola", 8)
    assert (await post_event(hub, delivery)).status_code == 500  # Slack sends it again
    assert (await post_event(hub, delivery, retry=1)).status_code == 200
    assert desk.texts() == ["hola"]
