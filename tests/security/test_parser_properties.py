"""Property tests (hypothesis) of what reads outside input on the public side: the REST body
parser, the REST endpoint and the socket.io events. Whatever arrives: a clear 4xx (an `error`
event on the socket) or handled, never a 500 or a crashed handler, and nothing stored
half-way (refused: nothing; taken: exactly the one message)."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, event, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from bot.errors import DeskError
from bot.http.conversations import parse_message
from bot.settings import Settings
from channels.base import hygiene
from tests.integration.conftest import start_chat
from tests.security.conftest import Socket

# Any character, and often the ones that broke the desk: lone surrogates, controls.
CHARS = st.one_of(st.characters(), st.characters(categories=["Cs", "Cc"]))
TEXT = st.text(CHARS, max_size=40)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**80),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)
LANGS = st.one_of(st.none(), st.sampled_from(["en", "es", "fr", "xx", "EN", "", "english"]), TEXT)
# And well-formed input, so that the "taken" side of each property is exercised as often.
SAFE_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
SAFE_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63) + 1, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | SAFE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SAFE_TEXT, inner, max_size=3),
    max_leaves=8,
)
CLEAN_BODIES = st.fixed_dictionaries(
    {"text": SAFE_TEXT.filter(str.strip)},
    optional={
        "lang": st.sampled_from(["en", "es", "fr"]),
        "metadata": st.dictionaries(SAFE_TEXT, SAFE_VALUES, max_size=3),
    },
)
BODIES = st.fixed_dictionaries(
    {"text": st.one_of(TEXT, st.text(max_size=30), VALUES)},
    optional={"lang": LANGS, "metadata": st.one_of(st.dictionaries(TEXT, VALUES), VALUES)},
)


def _encode(body: Any, ascii_only: bool) -> bytes:
    """The body as a client would send it: JSON (with NaN, as Python writes it), escaped or raw
    (raw lone surrogates become invalid UTF-8)."""
    return json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


RAW_BODIES = st.one_of(
    st.builds(_encode, CLEAN_BODIES, st.booleans()),
    st.builds(_encode, BODIES, st.booleans()),
    st.binary(max_size=200),
    st.integers(1, 30_000).map(
        lambda n: b'{"text": "hi", "metadata": ' + b"[" * n + b"]" * n + b"}"
    ),
    st.integers(20, 6000).map(lambda n: b'{"text": "hi", "metadata": {"n": ' + b"7" * n + b"}}"),
)


@examples(max_examples=400, deadline=None)
@given(raw=RAW_BODIES)
def test_the_body_parser_names_every_refusal_and_passes_only_clean_bodies(raw: bytes) -> None:
    refused: DeskError | None = None
    try:
        message = parse_message(raw, 4096)
    except DeskError as exc:
        refused = exc
    event(f"refused: {refused.code}" if refused is not None else "taken")
    if refused is not None:
        assert 400 <= refused.status < 500
        assert refused.code
        assert refused.message
        return
    # Taken: nothing in it can break storage, the JSON columns or the assistant.
    hygiene.check_text(message.text)
    hygiene.check_value(message.metadata)
    assert message.lang in (None, "en", "es", "fr")
    message.text.encode("utf-8")
    json.dumps(message.metadata, allow_nan=False).encode("utf-8")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No rate limit gets in the way of a few hundred examples."""
    big = 10**9
    return settings.model_copy(
        update={
            "rate_messages_per_conversation": big,
            "rate_messages_per_address": big,
            "rate_conversations_per_address": big,
        }
    )


@examples(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=RAW_BODIES)
async def test_the_rest_endpoint_never_fails_and_never_stores_half(
    client: httpx.AsyncClient, app: FastAPI, raw: bytes
) -> None:
    chat = await start_chat(client)
    response = await client.post(
        chat.messages, content=raw, headers={"content-type": "application/json", **chat.headers}
    )
    history = await app.state.store.history(chat.id)
    event(f"status {response.status_code}")
    if response.status_code == 503:  # taken: stored, then Rasa (down here) did not answer
        assert response.json()["error"]["code"] == "assistant_unavailable"
        assert len(history) == 1
    else:
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["error"]["code"]
        assert history == []


EVENTS = st.one_of(
    st.fixed_dictionaries(
        {"message": st.one_of(TEXT, VALUES)},
        optional={
            "customData": st.one_of(
                st.fixed_dictionaries({}, optional={"language": LANGS}), VALUES
            ),
            "metadata": VALUES,
        },
    ),
    VALUES,
)
CLEAN_EVENTS = st.fixed_dictionaries(
    {"message": SAFE_TEXT.filter(str.strip)},
    optional={
        "customData": st.fixed_dictionaries(
            {}, optional={"language": st.sampled_from(["en", "es", "fr"])}
        ),
        "metadata": st.dictionaries(SAFE_TEXT, SAFE_VALUES, max_size=3),
    },
)
PACKETS = st.one_of(
    st.builds(lambda data: json.dumps(["user_uttered", data]), CLEAN_EVENTS),
    st.builds(lambda data: json.dumps(["user_uttered", data]), EVENTS),
    st.integers(1, 30_000).map(lambda n: '["user_uttered", ' + "[" * n + "]" * n + "]"),
    st.text(max_size=60).map(lambda junk: '["user_uttered", ' + junk),
    st.builds(lambda data: json.dumps(["session_request", data]), VALUES),
)


@examples(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(packet=PACKETS)
async def test_socket_events_get_an_answer_and_never_a_crashed_handler(
    hub_url: str, app: FastAPI, packet: str, caplog: pytest.LogCaptureFixture
) -> None:
    socket = Socket()
    try:
        confirmed = await socket.open(hub_url)
        session = confirmed["session_id"]
        await socket.client.eio.send("2" + packet)
        if packet.startswith('["session_request"'):
            # A malformed id is refused; anything else starts a session (never someone else's).
            await socket.wait_any(("error", "session_confirm"), 2)
            for again in socket.events["session_confirm"][1:]:
                assert again["session_id"] != session
            assert await app.state.store.history(session) == []
            return
        await socket.wait_any(("error", "bot_uttered"), 1)
        stored = await app.state.store.history(session)
        event("refused" if socket.events["error"] else "taken")
        if socket.events["error"]:  # refused: nothing stored
            assert socket.events["error"][0]["code"]
            assert stored == []
        else:  # taken: stored once, and the customer told the assistant is away
            assert len(stored) == 1
    finally:
        await socket.client.disconnect()
    crashed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert crashed == [], caplog.text
