from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from bot.errors import AssistantUnavailable
from bot.rasa.client import RasaClient, reply_from_rasa
from channels.base import Button

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> RasaClient:
    # Faults a real Rasa cannot be asked to produce on demand (timeouts, 500s, odd bodies).
    return RasaClient(
        "http://rasa.test", httpx.AsyncClient(transport=httpx.MockTransport(handler)), 1.0
    )


def test_rest_replies_convert_to_outbound_messages() -> None:
    reply = reply_from_rasa(
        "c1",
        {
            "recipient_id": "c1",
            "text": "Pick one",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
            "image": "https://imageko.test/a.png",
            "custom": {"kind": "article"},
        },
    )
    assert reply.text == "Pick one"
    assert reply.buttons == (Button("Yes", "/affirm"),)
    assert reply.payload() == {
        "buttons": [{"title": "Yes", "payload": "/affirm"}],
        "image": "https://imageko.test/a.png",
        "custom": {"kind": "article"},
    }


def test_image_only_reply_has_empty_text() -> None:
    assert reply_from_rasa("c1", {"recipient_id": "c1", "image": "u"}).text == ""


async def test_send_posts_sender_text_and_metadata() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/webhooks/rest/webhook"
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=[{"recipient_id": "c1", "text": "hola"}])

    replies = await _client(handler).send("c1", "hola", {"lang": "es"})
    assert seen == [{"sender": "c1", "message": "hola", "metadata": {"lang": "es"}}]
    assert [r.text for r in replies] == ["hola"]


@pytest.mark.parametrize(
    "handler",
    [
        lambda request: httpx.Response(500, text="boom"),
        lambda request: httpx.Response(200, text="<html>not json</html>"),
        lambda request: httpx.Response(200, json={"not": "a list"}),
    ],
)
async def test_bad_answers_become_assistant_unavailable(handler: Handler) -> None:
    with pytest.raises(AssistantUnavailable):
        await _client(handler).send("c1", "hi", {})


async def test_timeout_says_the_message_is_saved() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(AssistantUnavailable, match="saved"):
        await _client(handler).send("c1", "hi", {})


async def test_unreachable_server_is_unavailable() -> None:
    client = RasaClient("http://127.0.0.1:9", httpx.AsyncClient(), 1.0)  # discard port
    with pytest.raises(AssistantUnavailable, match="unreachable"):
        await client.send("c1", "hi", {})


async def test_status_requires_a_loaded_model() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"model_file": None, "num_active_training_jobs": 0})

    with pytest.raises(RuntimeError, match="no model"):
        await _client(handler).status()


async def test_the_token_goes_to_rasa_http_api_and_never_into_an_error() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        if request.url.path == "/status":  # as Rasa answers a wrong token
            return httpx.Response(401, json={"reason": "NotAuthenticated"})
        if request.url.path == "/model/parse":
            return httpx.Response(200, json={"intent": {"name": "greet"}})
        return httpx.Response(200, json=[])

    client = RasaClient(
        "http://rasa.test",
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        1.0,
        token="s3cret-token",
    )
    await client.send("c1", "hi", {})
    await client.parse("hi")
    with pytest.raises(RuntimeError) as refused:
        await client.status()
    assert [(url.path, url.params.get("token")) for url in seen] == [
        ("/webhooks/rest/webhook", None),  # the REST channel takes no token
        ("/model/parse", "s3cret-token"),
        ("/status", "s3cret-token"),
    ]
    assert "s3cret-token" not in str(refused.value)  # /readyz shows this reason to anyone
    assert "401" in str(refused.value)
