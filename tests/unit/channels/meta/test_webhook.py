"""GET and POST /webhooks/meta on a FastAPI app, one route for both channels: the handshake,
then size, signature, parsing, and each message once, to the channel of its object."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from channels.base.adapter import Inbound
from channels.meta.adapter import InstagramAdapter, MessengerAdapter, messenger_adapter
from channels.meta.webhook import meta_router
from tests.fakes.desk import Desk
from tests.fakes.graph_api import (
    APP_SECRET,
    IGSID,
    PAGE_TOKEN,
    PSID,
    VERIFY_TOKEN,
    notification,
    serialise,
    signed,
    text_event,
    text_notification,
    unsupported_notifications,
)
from tests.unit.channels.webhooks import assert_oversize_refused, webhook_client

URL = "/webhooks/meta"


@pytest.fixture
async def hub(
    messenger: MessengerAdapter, instagram: InstagramAdapter, desk: Desk
) -> AsyncIterator[httpx.AsyncClient]:
    async with webhook_client(meta_router([messenger, instagram], desk.handle, desk.seen)) as hub:
        yield hub


async def post(
    hub: httpx.AsyncClient, data: dict[str, Any], secret: str = APP_SECRET
) -> httpx.Response:
    body = serialise(data)
    return await hub.post(URL, content=body, headers=signed(body, secret))


def handshake(token: str | None = VERIFY_TOKEN, mode: str = "subscribe") -> dict[str, str]:
    params = {"hub.mode": mode, "hub.challenge": "1158201444"}
    if token is not None:
        params["hub.verify_token"] = token
    return params


# The subscription handshake


async def test_the_handshake_answers_the_challenge(hub: httpx.AsyncClient) -> None:
    response = await hub.get(URL, params=handshake())
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        handshake("wrong-token"),
        handshake(VERIFY_TOKEN + "x"),
        handshake(""),
        handshake(None),
        handshake(mode="unsubscribe"),
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},  # no challenge
        {},
    ],
)
async def test_a_handshake_without_our_token_is_forbidden(
    hub: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await hub.get(URL, params=params)
    assert response.status_code == 403
    assert "1158201444" not in response.text
    assert response.json()["error"]["code"] == "bad_signature"


async def test_without_a_verify_token_no_handshake_succeeds(desk: Desk) -> None:
    adapter = messenger_adapter(PAGE_TOKEN, APP_SECRET, "")  # an empty setting is none
    async with webhook_client(meta_router(adapter, desk.handle, desk.seen)) as hub:
        for token in ("", "None", VERIFY_TOKEN):
            assert (await hub.get(URL, params=handshake(token))).status_code == 403


# Notifications


async def test_each_object_reaches_its_channel_on_the_one_route(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    assert (
        await post(hub, text_notification("messenger", 1, "desde Messenger"))
    ).status_code == 200
    assert (
        await post(hub, text_notification("instagram", 1, "desde Instagram"))
    ).status_code == 200
    assert [
        (i.message.channel, i.message.conversation_id, i.message.text) for i in desk.handled
    ] == [
        ("messenger", f"messenger:{PSID}", "desde Messenger"),
        ("instagram", f"instagram:{IGSID}", "desde Instagram"),
    ]


@pytest.mark.parametrize("secret", [APP_SECRET[::-1], "", APP_SECRET + "x"])
async def test_a_forged_signature_is_refused_and_nothing_is_handled(
    hub: httpx.AsyncClient, desk: Desk, secret: str
) -> None:
    response = await post(hub, text_notification("messenger", 2, "hola"), secret=secret)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert response.json()["error"]["message"]
    assert desk.handled == []
    assert desk.ids == set()  # refused before de-duplication: a forgery cannot burn an id


async def test_a_missing_signature_is_refused(hub: httpx.AsyncClient, desk: Desk) -> None:
    body = serialise(text_notification("instagram", 3, "hola"))
    response = await hub.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert desk.handled == []


async def test_a_body_changed_after_signing_is_refused(hub: httpx.AsyncClient, desk: Desk) -> None:
    body = serialise(text_notification("messenger", 4, "hola"))
    tampered = body.replace(b"hola", b"HOLA")
    response = await hub.post(URL, content=tampered, headers=signed(body))
    assert response.status_code == 401
    assert desk.handled == []


async def test_an_oversize_body_is_refused_before_it_is_read(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    await assert_oversize_refused(hub, URL, b'{"object": "page", ', signed)
    assert desk.handled == []


@pytest.mark.parametrize(
    "body", [b'{"object": "page", "entry": [', b"", b"[]", b'{"object": "page"}']
)
async def test_malformed_json_is_a_bad_request(
    hub: httpx.AsyncClient, desk: Desk, body: bytes
) -> None:
    response = await hub.post(URL, content=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"
    assert desk.handled == []


async def test_a_redelivered_notification_is_handled_once(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    data = text_notification("messenger", 5, "¿dónde está mi factura?")
    first, again = await post(hub, data), await post(hub, data)
    assert (first.status_code, again.status_code) == (200, 200)
    assert desk.texts() == ["¿dónde está mi factura?"]


@pytest.mark.parametrize("product", ["messenger", "instagram"])
async def test_unsupported_notifications_are_answered_and_dropped(
    hub: httpx.AsyncClient, desk: Desk, product: str
) -> None:
    kinds = unsupported_notifications(product)
    del kinds["other_product"]  # mounted here: that one is a message of the other channel
    for data in kinds.values():
        assert (await post(hub, data)).status_code == 200
    assert desk.handled == []


async def test_a_channel_not_mounted_is_answered_and_dropped(
    messenger: MessengerAdapter, desk: Desk
) -> None:
    async with webhook_client(meta_router(messenger, desk.handle, desk.seen)) as hub:
        assert (await post(hub, text_notification("instagram", 6, "hola"))).status_code == 200
        assert (await post(hub, text_notification("messenger", 6, "hola"))).status_code == 200
    assert [i.message.channel for i in desk.handled] == ["messenger"]


async def test_a_failing_handler_is_a_500_and_the_resend_is_handled_once(
    messenger: MessengerAdapter, desk: Desk
) -> None:
    data = notification(
        "messenger", text_event("messenger", 7, "uno"), text_event("messenger", 8, "dos")
    )
    failed = False

    async def handle(item: Inbound) -> None:
        nonlocal failed
        if item.message.text == "dos" and not failed:  # the database fails once, mid-batch
            failed = desk.fail_next_handle = True
        await desk.handle(item)

    async with webhook_client(meta_router(messenger, handle, desk.seen)) as hub:
        assert (await post(hub, data)).status_code == 500  # Meta sends it again, whole
        assert (await post(hub, data)).status_code == 200
    assert desk.texts() == ["uno", "dos"]


def test_one_adapter_per_channel(messenger: MessengerAdapter) -> None:
    with pytest.raises(ValueError, match="one adapter per Meta channel"):
        meta_router(
            [messenger, messenger_adapter(PAGE_TOKEN, APP_SECRET)], Desk().handle, Desk().seen
        )
    with pytest.raises(ValueError, match="at least one"):
        meta_router([], Desk().handle, Desk().seen)
