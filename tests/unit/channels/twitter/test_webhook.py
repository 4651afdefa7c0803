"""GET and POST /webhooks/twitter on a FastAPI app: the CRC check; then size, signature,
parsing, and each DM once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from channels.twitter.adapter import TwitterAdapter
from channels.twitter.webhook import twitter_router
from tests.fakes.desk import Desk
from tests.fakes.x_api import (
    CONSUMER_SECRET,
    CUSTOMER,
    crc_response,
    dm_event,
    sign,
    unsupported_bodies,
    webhook_body,
    webhook_headers,
)
from tests.unit.channels.webhooks import assert_oversize_refused, webhook_client

URL = "/webhooks/twitter"


@pytest.fixture
async def hub(adapter: TwitterAdapter, desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    async with webhook_client(twitter_router(adapter, desk.handle, desk.seen)) as client:
        yield client


async def post(
    hub: httpx.AsyncClient, payload: dict[str, Any], secret: str = CONSUMER_SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await hub.post(URL, content=body, headers=webhook_headers(body, secret))


async def test_the_crc_check_is_answered(hub: httpx.AsyncClient) -> None:
    token = "Mjk0Yzc1OGYtNjk3OS00ZjY5LWI4NjEtNzE0YzRkNjQ5ZTQ1"
    response = await hub.get(URL, params={"crc_token": token})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == crc_response(token)


@pytest.mark.parametrize("query", [{}, {"crc_token": ""}])
async def test_a_crc_check_without_a_token_is_a_bad_request(
    hub: httpx.AsyncClient, query: dict[str, str]
) -> None:
    response = await hub.get(URL, params=query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"


async def test_the_crc_check_signs_no_forged_body(hub: httpx.AsyncClient, desk: Desk) -> None:
    # The CRC answer is an HMAC under the secret that signs deliveries: asked to sign a body,
    # it would hand out that body's valid signature.
    forged = json.dumps(webhook_body(dm_event("1850000000000000099", "forged"))).encode()
    answer = await hub.get(URL, params={"crc_token": forged.decode()})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_payload"
    assert "response_token" not in answer.text
    signature = {"x-twitter-webhooks-signature": crc_response(forged.decode())["response_token"]}
    # Even so, that signature does sign the body: the refusal is what keeps it from anyone.
    assert (await hub.post(URL, content=forged, headers=signature)).status_code == 200
    assert desk.texts() == ["forged"]


async def test_a_dm_is_handled(hub: httpx.AsyncClient, desk: Desk) -> None:
    response = await post(hub, webhook_body(dm_event("1850000000000000010", "me cobraron")))
    assert response.status_code == 200
    assert desk.texts() == ["me cobraron"]
    assert desk.handled[0].message.conversation_id == f"twitter:{CUSTOMER['id']}"


@pytest.mark.parametrize("secret", ["wrong-secret", "", CONSUMER_SECRET + "x"])
async def test_a_forged_signature_is_refused_and_nothing_is_handled(
    hub: httpx.AsyncClient, desk: Desk, secret: str
) -> None:
    response = await post(hub, webhook_body(dm_event("1850000000000000011", "hola")), secret)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert desk.handled == []
    assert desk.ids == set()  # refused before de-duplication: a forgery cannot burn an id


async def test_a_missing_signature_is_refused(hub: httpx.AsyncClient, desk: Desk) -> None:
    body = json.dumps(webhook_body(dm_event("1850000000000000012", "hola"))).encode()
    response = await hub.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert desk.handled == []


async def test_a_signed_body_changed_on_the_way_is_refused(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    genuine = json.dumps(webhook_body(dm_event("1850000000000000013", "hola"))).encode()
    changed = genuine.replace(b"hola", b"adios")
    response = await hub.post(
        URL, content=changed, headers={"x-twitter-webhooks-signature": sign(genuine)}
    )
    assert response.status_code == 401
    assert desk.handled == []


async def test_an_oversize_body_is_refused_before_it_is_read(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    await assert_oversize_refused(hub, URL, b'{"for_user_id": "1", ', webhook_headers)
    assert desk.handled == []


async def test_malformed_json_is_a_bad_request(hub: httpx.AsyncClient, desk: Desk) -> None:
    body = b'{"for_user_id": "1580000000000000001", "direct_message_events": ['
    response = await hub.post(URL, content=body, headers=webhook_headers(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"
    assert desk.handled == []


async def test_a_redelivered_dm_is_handled_once(hub: httpx.AsyncClient, desk: Desk) -> None:
    first = webhook_body(dm_event("1850000000000000014", "¿dónde está mi factura?"))
    again = webhook_body(
        dm_event("1850000000000000014", "¿dónde está mi factura?"),
        dm_event("1850000000000000015", "¿hola?"),
    )
    assert (await post(hub, first)).status_code == 200
    assert (await post(hub, again)).status_code == 200
    assert desk.texts() == ["¿dónde está mi factura?", "¿hola?"]


async def test_other_activity_and_our_own_dms_are_answered_and_dropped(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    for kind, payload in unsupported_bodies().items():
        assert (await post(hub, payload)).status_code == 200, kind
    assert desk.handled == []


async def test_a_failing_handler_is_a_500_and_the_resend_is_handled(
    hub: httpx.AsyncClient, desk: Desk
) -> None:
    desk.fail_next_handle = True
    payload = webhook_body(dm_event("1850000000000000016", "hola"))
    assert (await post(hub, payload)).status_code == 500
    assert (await post(hub, payload)).status_code == 200
    assert desk.texts() == ["hola"]
