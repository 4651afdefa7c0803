"""The web chat's Socket.IO server: one room per session, so every tab, reload and reconnect of
a conversation — on any hub, through the Redis manager — gets its replies."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import socketio

from channels.base import InboundMessage, OutboundMessage
from channels.webchat import protocol

log = logging.getLogger(__name__)
# The router, as the app hands it over: replies, and the ticket people answer on (if any).
Handle = Callable[[InboundMessage], Awaitable[tuple[Sequence[OutboundMessage], str | None]]]
# Stores a message without processing it (a flood): refused, but never lost.
Keep = Callable[[InboundMessage, str], Awaitable[None]]
# The customer is typing in a session (agents who own the conversation see it).
Typing = Callable[[str], Awaitable[None]]
RATE_WINDOW_S = 10.0
RATE_MAX = 8  # messages per session per window; more is a flood
TYPING_EVERY_S = 1.0  # a session's typing signals beyond one a second are dropped
_FLOOD = (
    "You're sending messages very fast. I've kept this one for the team; please wait a few "
    "seconds before sending more."
)
_FAILED = "Sorry, something went wrong on our side. Please send that again in a moment."


class WebchatServer:
    """Speaks Rasa's socket.io protocol; the hub mounts `asgi_app()` at /socket.io."""

    def __init__(
        self, handle: Handle, keep: Keep, typing: Typing, redis_url: str | None = None
    ) -> None:
        manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins="*",  # the widget is embedded on other sites by design
            client_manager=manager,
            max_http_buffer_size=64 * 1024,
        )
        self._handle = handle
        self._keep = keep
        self._typing = typing
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._typed: dict[str, float] = {}
        self.sio.on("connect", self._connect)
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)
        self.sio.on("user_typing", self._user_typing)
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
        return True

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        return None

    async def _session_request(self, sid: str, data: Any) -> None:
        try:
            session_id = protocol.session_id_of(data)
        except protocol.BadEvent as exc:
            await self.sio.emit("error", {"code": exc.code, "message": str(exc)}, to=sid)
            return
        await self.sio.save_session(sid, {"session_id": session_id})
        # Awaited: Rasa 3.6's own channel forgets to, and then loses every reply.
        await self.sio.enter_room(sid, session_id)
        await self.sio.emit("session_confirm", session_id, to=sid)

    async def _user_uttered(self, sid: str, data: Any) -> None:
        session = await self.sio.get_session(sid)
        session_id = session.get("session_id") if session else None
        if not session_id:
            await self.sio.emit(
                "error", {"code": "no_session", "message": "send session_request first"}, to=sid
            )
            return
        try:
            message = protocol.inbound(data, session_id)
        except protocol.BadEvent as exc:
            await self.sio.emit("error", {"code": exc.code, "message": str(exc)}, to=sid)
            return
        if self._flooding(session_id):
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
        session_id = session.get("session_id") if session else None
        now = time.monotonic()
        # Before session_request there is nobody to tell; a flood of signals tells nothing new.
        if session_id and now - self._typed.get(session_id, -TYPING_EVERY_S) >= TYPING_EVERY_S:
            self._typed[session_id] = now
            await self._typing(session_id)

    def _flooding(self, session_id: str) -> bool:
        now = time.monotonic()
        recent = self._recent[session_id]
        while recent and now - recent[0] > RATE_WINDOW_S:
            recent.popleft()
        recent.append(now)
        return len(recent) > RATE_MAX
