"""Issue 16, item 10 (REST, web chat, uploads): what gave a 500, reset the connection or was
stored as-is on main now gets a clear 4xx (an `error` event on the socket) before anything is
stored; uploads are read by Pillow, re-encoded, and served so that no browser sniffs them."""

from __future__ import annotations

import io

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select

from bot.db.models import Conversation, Message
from tests.images import png
from tests.integration.conftest import Chat, start_chat
from tests.security.conftest import Socket

HOSTILE_BODIES = [
    # (what, raw body, status, code)
    ("lone surrogate", b'{"text": "\\ud800"}', 422, "lone_surrogate"),
    ("lone surrogate in metadata", b'{"text": "hi", "metadata": {"k": "\\udfff"}}', 422, None),
    ("NUL", b'{"text": "a\\u0000b"}', 422, "control_character"),
    ("escape sequence", b'{"text": "\\u001b[2J wipe"}', 422, "control_character"),
    (
        "20 000 levels",
        b'{"text": "hi", "metadata": ' + b"[" * 20000 + b"]" * 20000 + b"}",
        400,
        None,
    ),
    (
        "900 levels",
        b'{"text": "hi", "metadata": {"a": ' + b"[" * 900 + b"]" * 900 + b"}}",
        400,
        None,
    ),
    ("5000 digits", b'{"text": "hi", "metadata": {"n": ' + b"9" * 5000 + b"}}", 400, None),
    ("NaN", b'{"text": "hi", "metadata": {"n": NaN}}', 400, "not_finite"),
    ("Infinity", b'{"text": "hi", "metadata": {"n": Infinity}}', 400, "not_finite"),
    ("1e999", b'{"text": "hi", "metadata": {"n": 1e999}}', 400, "not_finite"),
    ("unknown lang", b'{"text": "hi", "lang": "xx"}', 422, "unsupported_lang"),
]


async def _stored(app: FastAPI) -> tuple[int, int]:
    async with app.state.engine.connect() as connection:
        conversations = await connection.scalar(select(func.count()).select_from(Conversation))
        messages = await connection.scalar(select(func.count()).select_from(Message))
    return int(conversations or 0), int(messages or 0)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [(raw, status, code) for _, raw, status, code in HOSTILE_BODIES],
    ids=[what for what, *_ in HOSTILE_BODIES],
)
async def test_hostile_rest_bodies_get_a_clear_4xx_and_nothing_is_stored(
    client: httpx.AsyncClient, app: FastAPI, raw: bytes, status: int, code: str | None
) -> None:
    """Main: 500 and a reset connection (surrogate, 20 000 levels, 5000 digits), or stored and
    answered "assistant unreachable" (NaN, 900 levels, lang "xx", NUL)."""
    chat = await start_chat(client)
    response = await client.post(
        chat.messages, content=raw, headers={"content-type": "application/json", **chat.headers}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    assert await _stored(app) == (0, 0)


async def _raw_event(socket: Socket, event_json: str) -> None:
    """Send a socket.io EVENT packet as written, bypassing the client's own JSON encoder."""
    await socket.client.eio.send("2" + event_json)


SESSION = "<session>"
HOSTILE_EVENTS = [
    # (what, packet JSON with SESSION for the socket's session id, error code)
    ("20 000 levels", '["user_uttered", ' + "[" * 20000 + "]" * 20000 + "]", "too_deep"),
    ("5000 digits", '["user_uttered", {"message": "hi", "n": ' + "9" * 5000 + "}]", None),
    ("NaN", '["user_uttered", {"message": "hi", "metadata": {"n": NaN}}]', "not_finite"),
    ("lone surrogate", '["user_uttered", {"message": "\\ud800", "session_id": "<session>"}]', None),
    ("NUL", '["user_uttered", {"message": "a\\u0000b", "session_id": "<session>"}]', None),
    ("lang xx", '["user_uttered", {"message": "hi", "customData": {"language": "xx"}}]', None),
    (
        "deep metadata",
        '["user_uttered", {"message": "hi", "metadata": ' + "[" * 9 + "]" * 9 + "}]",
        None,
    ),
    ("not JSON", '["user_uttered", {"message": ', "malformed_json"),
]


@pytest.mark.parametrize(
    ("packet", "code"),
    [(packet, code) for _, packet, code in HOSTILE_EVENTS],
    ids=[what for what, *_ in HOSTILE_EVENTS],
)
async def test_hostile_socket_events_get_a_named_error_and_the_socket_lives_on(
    hub_url: str, app: FastAPI, packet: str, code: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    socket = Socket()
    try:
        confirmed = await socket.open(hub_url)
        await _raw_event(socket, packet.replace(SESSION, confirmed["session_id"]))
        (error,) = await socket.wait("error")
        assert error["message"]
        if code is not None:
            assert error["code"] == code
        assert await _stored(app) == (0, 0)
        # Still connected and served: a clean message is taken (stored; Rasa is down here).
        await socket.client.emit("user_uttered", {"message": "still there?"})
        await socket.wait("bot_uttered")
        assert [m.text for m in await app.state.store.history(confirmed["session_id"])] == [
            "still there?"
        ]
    finally:
        await socket.client.disconnect()
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


async def _upload(client: httpx.AsyncClient, chat: Chat, data: bytes) -> httpx.Response:
    return await client.post(chat.uploads, content=data, headers=chat.headers)


async def test_an_image_with_html_after_it_is_served_as_pixels_only(
    client: httpx.AsyncClient,
) -> None:
    """Main: a PNG header followed by HTML was stored and served as image/png, no nosniff."""
    chat = await start_chat(client)
    polyglot = png((40, 30)) + b"<html><script>alert(document.cookie)</script></html>"
    response = await _upload(client, chat, polyglot)
    assert response.status_code == 200, response.text
    served = await client.get(response.json()["url"])
    assert b"<script" not in served.content
    assert b"<html" not in served.content
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    name = response.json()["url"].rsplit("/", 1)[1]
    assert served.headers["content-disposition"] == f'inline; filename="{name}"'
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (40, 30)
        assert image.convert("RGB").getpixel((5, 5)) == (200, 30, 30)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "not_an_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not_an_image"),  # the magic number alone
        (b"GIF89a<svg onload=alert(1)>", "not_an_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "not_an_image"),
        (png((300, 300))[:120], "unreadable_image"),  # a real PNG, cut short
    ],
    ids=["png-header-then-html", "png-magic-only", "gif-header-then-svg", "svg", "truncated"],
)
async def test_what_only_looks_like_an_image_is_refused(
    client: httpx.AsyncClient, app: FastAPI, data: bytes, code: str
) -> None:
    chat = await start_chat(client)
    response = await _upload(client, chat, data)
    assert (response.status_code, response.json()["error"]["code"]) == (422, code)
    assert await _stored(app) == (0, 0)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM"])
async def test_formats_other_than_png_jpeg_gif_webp_are_refused(
    client: httpx.AsyncClient, fmt: str
) -> None:
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, fmt)
    chat = await start_chat(client)
    response = await _upload(client, chat, out.getvalue())
    assert (response.status_code, response.json()["error"]["code"]) == (422, "not_an_image")


@pytest.mark.parametrize(
    "size",
    [(8_000, 8_000), (20_000, 20_000), (100, 20_000)],
    ids=["64-megapixels", "400-megapixels", "20000-tall"],
)
async def test_a_decompression_bomb_is_refused_before_it_is_decoded(
    client: httpx.AsyncClient, app: FastAPI, size: tuple[int, int]
) -> None:
    """A few KB on the wire, tens or hundreds of millions of pixels once decoded."""
    out = io.BytesIO()
    Image.new("1", size).save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    chat = await start_chat(client)
    response = await _upload(client, chat, out.getvalue())
    assert (response.status_code, response.json()["error"]["code"]) == (422, "image_too_large")
    assert await _stored(app) == (0, 0)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
async def test_each_allowed_format_is_kept_in_its_own_format_without_its_metadata(
    client: httpx.AsyncClient, fmt: str
) -> None:
    image = Image.new("RGB", (32, 32), (10, 120, 240))
    exif = Image.Exif()
    exif[0x010E] = "GPS 48.8584 N 2.2945 E"  # ImageDescription: what a phone may leak
    out = io.BytesIO()
    image.save(out, fmt, **({"exif": exif} if fmt in ("JPEG", "WEBP", "PNG") else {}))
    chat = await start_chat(client)
    response = await _upload(client, chat, out.getvalue())
    assert response.status_code == 200, response.text
    served = await client.get(response.json()["url"])
    assert b"GPS 48.8584" not in served.content
    with Image.open(io.BytesIO(served.content)) as kept:
        assert kept.format == fmt
        assert kept.size == (32, 32)
    assert served.headers["content-type"] == response.json()["content_type"]
