"""A local Telegram Bot API for tests: a real HTTP server on 127.0.0.1 (aiohttp) that answers
`POST /bot<token>/<method>` like api.telegram.org, records every call, and fails on demand.
Also genuine update payloads, shaped as Telegram sends them to webhooks and getUpdates."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.server import FakePlatform

TOKEN = "7000000001:AAH3xkTqMZbd8P9fJc2Lrsd-TESTTOKENabcdefg"
SECRET = "wh-secret_5Yb2kQ9pLx"  # setWebhook's secret_token
BOT_USER: dict[str, Any] = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "imageko support",
    "username": "imageko_support_bot",
}
CUSTOMER: dict[str, Any] = {
    "id": 111222333,
    "is_bot": False,
    "first_name": "Lucía",
    "last_name": "Gómez",
    "username": "luciag",
    "language_code": "es",
}
MAX_TEXT = 4096  # UTF-16 code units, as Telegram counts
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
# When the fake's updates were sent: recently, well within the desk's 24 hours (their dates
# add the update id, in seconds).
SENT = int(time.time()) - 3600


@dataclass
class Call:
    """One request the fake received: the method, its decoded parameters, and the status it
    answered (None while a long poll is still waiting)."""

    method: str
    params: dict[str, Any]
    status: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the fake accepted it."""
        return self.status == 200


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decoded(value: str) -> Any:
    """PTB sends objects and lists as JSON inside form fields, as the Bot API accepts them."""
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Refused(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class FakeTelegram(FakePlatform):
    """The Bot API for `tokens`; use as `async with FakeTelegram() as fake:` and point
    `telegram.Bot(token, base_url=fake.base_url)` at it."""

    def __init__(self, tokens: Iterable[str] = (TOKEN,)) -> None:
        self.tokens = frozenset(tokens)
        self.calls: list[Call] = []
        self._served = 0
        self._failures: dict[int, tuple[int, int]] = {}  # call number: (status, retry_after)
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._message_id = 500

    @property
    def base_url(self) -> str:
        """What `Bot(base_url=...)` takes: the token and method are appended."""
        return f"http://127.0.0.1:{self.port}/bot"

    def fail_next(
        self, count: int, status: int = 429, *, retry_after: int = 1, after: int = 0
    ) -> None:
        """Answer `count` calls with `status`, as Telegram does (429 asks to wait `retry_after`
        seconds), starting `after` calls from now."""
        for n in range(count):
            self._failures[self._served + after + n] = (status, retry_after)

    def queue_update(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates to return, as Telegram queues them for a polling bot."""
        self._updates.extend(updates)
        self._new_update.set()

    def sent(self) -> list[Call]:
        """The messages Telegram accepted (sendMessage, sendPhoto), in order."""
        return [c for c in self.calls if c.method in ("sendMessage", "sendPhoto") and c.ok]

    def of(self, method: str) -> list[Call]:
        """Every call of `method`, accepted or not."""
        return [c for c in self.calls if c.method == method]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._endpoint)

    async def closing(self) -> None:
        self._new_update.set()  # a long poll still waiting returns at once

    async def _endpoint(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if request.content_type == "application/json":
            params = dict(await request.json())
        else:
            form = await request.post()
            params = {k: _decoded(v) for k, v in form.items() if isinstance(v, str)}
        call = Call(method, params)
        self.calls.append(call)  # on arrival: a waiting long poll is already visible
        self._served += 1
        failure = self._failures.pop(self._served - 1, None)
        try:
            if token not in self.tokens:
                raise _Refused(401, "Unauthorized")
            if failure is not None:
                status, retry_after = failure
                if status == 429:
                    raise _Refused(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        retry_after=retry_after,
                    )
                raise _Refused(status, {502: "Bad Gateway"}.get(status, "Bad Request: refused"))
            result = await self._answer(method, params)
        except _Refused as refused:
            call.status = refused.status
            body: dict[str, Any] = {
                "ok": False,
                "error_code": refused.status,
                "description": refused.description,
            }
            if refused.parameters:
                body["parameters"] = refused.parameters
            return web.json_response(body, status=refused.status)
        call.status = 200
        return web.json_response({"ok": True, "result": result})

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        match method:
            case "getMe":
                return BOT_USER
            case "sendMessage":
                text = str(params.get("text", ""))
                if not text.strip():
                    raise _Refused(400, "Bad Request: message text is empty")
                if _utf16(text) > MAX_TEXT:
                    raise _Refused(400, "Bad Request: message is too long")
                return self._message(params, text=text)
            case "sendPhoto":
                caption = params.get("caption")
                if caption is not None and _utf16(str(caption)) > MAX_CAPTION:
                    raise _Refused(400, "Bad Request: message caption is too long")
                photo = [
                    {
                        "file_id": f"AgACAgQAAxkDAAI{self._message_id}",
                        "file_unique_id": f"AQAD{self._message_id}",
                        "width": width,
                        "height": width * 2 // 3,
                        "file_size": width * 40,
                    }
                    for width in (90, 320, 800)
                ]
                extra = {"caption": caption} if caption is not None else {}
                return self._message(params, photo=photo, **extra)
            case "getUpdates":
                return await self._get_updates(params)
            case "answerCallbackQuery" | "deleteWebhook" | "setWebhook":
                return True
            case _:
                raise _Refused(404, "Not Found")

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise _Refused(400, "Bad Request: chat not found") from None
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > MAX_CALLBACK_DATA:
                    raise _Refused(400, "Bad Request: BUTTON_DATA_INVALID")
        self._message_id += 1
        message: dict[str, Any] = {
            "message_id": self._message_id,
            "from": BOT_USER,
            "chat": {"id": chat_id, "first_name": "Lucía", "type": "private"},
            "date": int(time.time()),
            **content,
        }
        if markup:
            message["reply_markup"] = markup
        return message

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        # Asking from `offset` confirms every earlier update: Telegram forgets them.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and float(params.get("timeout", 0)) > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=float(params["timeout"]))
            except TimeoutError:
                return []
        return self._updates[: int(params.get("limit", 100))]


# Genuine update payloads: the field names and shapes of the Bot API's Update object.


def webhook_headers(secret: str = SECRET) -> dict[str, str]:
    """The headers of Telegram's webhook calls for a bot whose webhook has `secret`."""
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}


def _chat(user: dict[str, Any]) -> dict[str, Any]:
    chat = {k: user[k] for k in ("id", "first_name", "last_name", "username") if k in user}
    return chat | {"type": "private"}


def text_update(
    update_id: int, text: str, user: dict[str, Any] = CUSTOMER, *, date: int | None = None
) -> dict[str, Any]:
    """A customer writes to the bot in their private chat (at the Unix time `date`)."""
    message: dict[str, Any] = {
        "message_id": 1000 + update_id % 1000,
        "from": user,
        "chat": _chat(user),
        "date": SENT + update_id if date is None else date,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, data: str, user: dict[str, Any] = CUSTOMER) -> dict[str, Any]:
    """The customer presses an inline keyboard button under one of the bot's messages."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"47823{update_id}61234567890",
            "from": user,
            "message": {
                "message_id": 1500,
                "from": BOT_USER,
                "chat": _chat(user),
                "date": SENT,
                "text": "¿Te ha servido esta respuesta?",
                "reply_markup": {
                    "inline_keyboard": [
                        [{"text": "Sí", "callback_data": "/affirm"}],
                        [{"text": "No", "callback_data": "/deny"}],
                    ]
                },
            },
            "chat_instance": "-7383423432342342342",
            "data": data,
        },
    }


def unsupported_updates(first_id: int = 900) -> dict[str, dict[str, Any]]:
    """Updates that carry no customer text for the desk, by what they are."""
    chat, date = _chat(CUSTOMER), SENT
    group = {"id": -1001987654321, "title": "imageko users", "type": "supergroup"}
    channel = {"id": -1001122334455, "title": "imageko news", "type": "channel"}
    payloads: dict[str, dict[str, Any]] = {
        "sticker": {
            "message": {
                "message_id": 1401,
                "from": CUSTOMER,
                "chat": chat,
                "date": date,
                "sticker": {
                    "file_id": "CAACAgIAAxkBAAIBG2ZsBqXl",
                    "file_unique_id": "AgADBQADwDZPEw",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                    "set_name": "HotCherry",
                    "file_size": 23456,
                },
            }
        },
        "edited_message": {
            "edited_message": {
                "message_id": 1402,
                "from": CUSTOMER,
                "chat": chat,
                "date": date,
                "edit_date": date + 30,
                "text": "me cobraron dos veces (editado)",
            }
        },
        "message_reaction": {
            "message_reaction": {
                "chat": chat,
                "message_id": 1500,
                "user": CUSTOMER,
                "date": date,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        },
        "my_chat_member": {
            "my_chat_member": {
                "chat": chat,
                "from": CUSTOMER,
                "date": date,
                "old_chat_member": {"user": BOT_USER, "status": "member"},
                "new_chat_member": {"user": BOT_USER, "status": "kicked", "until_date": 0},
            }
        },
        "new_chat_members": {
            "message": {
                "message_id": 7,
                "from": CUSTOMER,
                "chat": group,
                "date": date,
                "new_chat_participant": BOT_USER,
                "new_chat_member": BOT_USER,
                "new_chat_members": [BOT_USER],
            }
        },
        "group_text": {
            "message": {
                "message_id": 8,
                "from": CUSTOMER,
                "chat": group,
                "date": date,
                "text": "¿alguien sabe cómo subir imágenes?",
            }
        },
        "channel_post": {
            "channel_post": {
                "message_id": 31,
                "sender_chat": channel,
                "chat": channel,
                "date": date,
                "text": "New release: faster uploads",
            }
        },
        "other_bot": {
            "message": {
                "message_id": 1403,
                "from": BOT_USER | {"id": 7000000002, "username": "other_bot"},
                "chat": chat,
                "date": date,
                "text": "echo",
            }
        },
    }
    return {
        name: {"update_id": first_id + i} | payload
        for i, (name, payload) in enumerate(payloads.items())
    }
