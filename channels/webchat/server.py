"""The web chat's Socket.IO server: one room per session, so every tab, reload and reconnect of
a conversation — on any hub, through the Redis manager — gets its replies."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Protocol

import socketio
from socketio.packet import Packet

from channels.base import InboundMessage, OutboundMessage, hygiene
from channels.webchat import protocol

log = logging.getLogger(__name__)
# The router, as the app hands it over: replies, and the ticket people answer on (if any).
Handle = Callable[[InboundMessage], Awaitable[tuple[Sequence[OutboundMessage], str | None]]]
# Stores a message without processing it (a flood): refused, but never lost.
Keep = Callable[[InboundMessage, str], Awaitable[None]]
# The customer is typing in a session (agents who own the conversation see it).
Typing = Callable[[str], Awaitable[None]]
# The rate limits: (action "session" | "message", client address, session id) -> None to go
# ahead, else the seconds to wait.
Wait = Callable[[str, str, str], Awaitable[float | None]]
TYPING_EVERY_S = 1.0  # a session's typing signals beyond one a second are dropped
_FLOOD = (
    "You're sending messages very fast. I've kept this one for the team; please wait a few "
    "seconds before sending more."
)
_SLOW_DOWN = "Too many new chats from your network; please try again in {s} s."
_FAILED = "Sorry, something went wrong on our side. Please send that again in a moment."


class Tokens(Protocol):
    """Session ids and their tokens (the app hands in the desk's signer)."""

    def new(self, kind: str) -> tuple[str, str]:
        """A fresh session id of `kind` and its token."""

    def valid(self, conversation_id: str, token: object) -> bool:
        """Whether `token` is the session's own token."""


def _safe_loads(text: str) -> Any:
    """JSON of a packet, decoded within hygiene's bounds; what is refused becomes an
    `unreadable` event, answered with a named error instead of a crash in the decoder."""
    try:
        return hygiene.loads(text)
    except ValueError as exc:  # Unclean, or JSONDecodeError
        return protocol.unreadable_event(exc)


class _SafeJson:
    dumps = staticmethod(json.dumps)
    loads = staticmethod(_safe_loads)


class SafePacket(Packet):  # type: ignore[misc]
    """Socket.IO packets from clients decoded by `hygiene.loads`: no recursion blow-up on deep
    nesting, no NaN or 5000-digit numbers reach a handler. (The Redis manager decodes the
    hubs' own messages with the class's plain `json`.)"""

    def decode(self, encoded_packet: str) -> int:
        self.json = _SafeJson
        count: int = super().decode(encoded_packet)
        return count


class WebchatServer:
    """Speaks Rasa's socket.io protocol; the hub mounts `asgi_app()` at /socket.io."""

    def __init__(
        self,
        handle: Handle,
        keep: Keep,
        typing: Typing,
        *,
        tokens: Tokens,
        wait: Wait,
        languages: Collection[str],
        redis_url: str | None = None,
    ) -> None:
        manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins="*",  # the widget is embedded on other sites by design
            client_manager=manager,
            max_http_buffer_size=64 * 1024,
            serializer=SafePacket,
        )
        self._handle = handle
        self._keep = keep
        self._typing = typing
        self._tokens = tokens
        self._wait = wait
        self._languages = tuple(languages)
        self._typed: dict[str, float] = {}
        self.sio.on("connect", self._connect)
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)
        self.sio.on("user_typing", self._user_typing)
        self.sio.on(protocol.UNREADABLE, self._unreadable)
        self.sio.on("disconnect", self._disconnect)

    def asgi_app(self) -> socketio.ASGIApp:
        """The ASGI app to mount."""
        return socketio.ASGIApp(self.sio, socketio_path="")

    async def send(self, message: OutboundMessage) -> None:
        """Push a message to every socket of the conversation (an agent's reply, a notice)."""
        await self.sio.emit(
            "bot_uttered", protocol.bot_uttered(message), room=message.conversation_id
        )

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        # The peer as the ASGI server saw it (engine.io's REMOTE_ADDR is a constant).
        client = (environ.get("asgi.scope") or {}).get("client") or ("unknown", 0)
        await self.sio.save_session(sid, {"address": str(client[0])})
        return True

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        return None

    async def _error(self, sid: str, exc: protocol.BadEvent, **extra: Any) -> None:
        await self.sio.emit("error", {"code": exc.code, "message": str(exc), **extra}, to=sid)

    async def _session_request(self, sid: str, data: Any) -> None:
        """Resume the session the client holds the token of; else start a new one. Never
        someone else's room: a session id without its token gets a fresh session."""
        session = await self.sio.get_session(sid)
        try:
            asked, token = protocol.session_request(data)
        except protocol.BadEvent as exc:
            await self._error(sid, exc)
            return
        if asked is not None and self._tokens.valid(asked, token):
            session_id, token = asked, token
        else:
            wait = await self._limited("session", session, "")
            if wait is not None:
                refused = protocol.BadEvent("rate_limited", _SLOW_DOWN.format(s=int(wait)))
                await self._error(sid, refused, retry_after=wait)
                return
            session_id, token = self._tokens.new(protocol.CHANNEL)
        previous = session.get("session_id")
        if previous is not None and previous != session_id:
            await self.sio.leave_room(sid, previous)
        await self.sio.save_session(sid, {**session, "session_id": session_id})
        # Awaited: Rasa 3.6's own channel forgets to, and then loses every reply.
        await self.sio.enter_room(sid, session_id)
        await self.sio.emit("session_confirm", {"session_id": session_id, "token": token}, to=sid)

    async def _limited(self, action: str, session: dict[str, Any], session_id: str) -> float | None:
        """The seconds to wait before `action`, None to go ahead; unknown limits (Redis down)
        refuse, as every public surface fails closed."""
        try:
            return await self._wait(action, session.get("address", "unknown"), session_id)
        except Exception as exc:
            log.warning("web chat limits unavailable, %s refused: %s", action, exc)
            return float(TYPING_EVERY_S)

    async def _unreadable(self, sid: str, data: Any) -> None:
        await self._error(sid, protocol.unreadable(data))

    async def _user_uttered(self, sid: str, data: Any) -> None:
        session = await self.sio.get_session(sid)
        session_id = session.get("session_id")
        if not session_id:
            await self.sio.emit(
                "error", {"code": "no_session", "message": "send session_request first"}, to=sid
            )
            return
        try:
            message = protocol.inbound(data, session_id, self._languages)
        except protocol.BadEvent as exc:
            await self._error(sid, exc)
            return
        if await self._limited("message", session, session_id) is not None:
            await self._keep(message, "rate limited: not sent to the assistant")
            await self.sio.emit("bot_uttered", protocol.notice(_FLOOD), to=sid)
            return
        await self.sio.emit("typing", {"on": True}, room=session_id)
        try:
            replies, ticket = await self._handle(message)
        except Exception as exc:  # said to the customer, never a crash of the socket
            log.warning("web chat message of %s not answered: %s", session_id, exc)
            # The desk's own errors say what happened (e.g. "saved, will be answered").
            notice = getattr(exc, "message", None) or _FAILED
            await self.sio.emit("bot_uttered", protocol.notice(notice), to=sid)
            return
        finally:
            await self.sio.emit("typing", {"on": False}, room=session_id)
        for reply in replies:
            # Every tab of the session sees the conversation, not only the one that typed.
            await self.sio.emit("bot_uttered", protocol.bot_uttered(reply), room=session_id)
        if ticket is not None:
            await self.sio.emit("handoff", {"ticket": ticket}, room=session_id)

    async def _user_typing(self, sid: str, data: Any) -> None:
        session = await self.sio.get_session(sid)
        session_id = session.get("session_id")
        now = time.monotonic()
        # Before session_request there is nobody to tell; a flood of signals tells nothing new.
        if session_id and now - self._typed.get(session_id, -TYPING_EVERY_S) >= TYPING_EVERY_S:
            self._typed[session_id] = now
            await self._typing(session_id)
