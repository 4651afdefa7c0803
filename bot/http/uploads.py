"""Screenshots customers send the team: uploaded into a conversation, served back by name."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from bot.conversations.store import ConversationStore
from bot.db.models import MessageStatus
from bot.errors import InvalidField, NotFound, PayloadTooLarge
from bot.http.conversations import ConversationId
from channels.base import InboundMessage
from channels.base.media import IMAGE_EXTENSIONS, sniff_image

router = APIRouter(prefix="/api/v1", tags=["conversations"])
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadOut(BaseModel):
    """A stored screenshot: where it is served, and the transcript line that shows it."""

    url: str
    message_id: int
    content_type: str


@router.post("/conversations/{conversation_id}/uploads", response_model=UploadOut)
async def upload(conversation_id: ConversationId, request: Request) -> UploadOut:
    """A screenshot for the team: the raw image as the body (PNG, JPEG, GIF or WebP, at most
    5 MB, checked by its bytes, not its declared type). It joins the conversation, and its
    ticket while people own it."""
    declared = int(request.headers.get("content-length") or 0)
    if declared > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("images are limited to 5 MB", code="upload_too_large")
    data = await request.body()
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("images are limited to 5 MB", code="upload_too_large")
    kind = sniff_image(data)
    if kind is None:
        raise InvalidField("only PNG, JPEG, GIF or WebP images", code="not_an_image", field="body")
    settings = request.app.state.settings
    name = f"{hashlib.sha256(data).hexdigest()[:32]}.{IMAGE_EXTENSIONS[kind]}"
    folder = settings.var_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    url = f"/api/v1/uploads/{name}"
    store: ConversationStore = request.app.state.store
    stored = await store.record_inbound(
        InboundMessage(
            conversation_id=conversation_id,
            channel="webchat",
            text="[screenshot]",
            metadata={"image": url, "content_type": kind, "bytes": len(data)},
        ),
        await store.conversation_lang(conversation_id) or "en",
    )
    await store.mark(stored.id, MessageStatus.PROCESSED)
    return UploadOut(url=url, message_id=stored.id, content_type=kind)


@router.get("/uploads/{name}", include_in_schema=False)
async def uploaded(
    name: Annotated[str, Path(pattern=r"^[0-9a-f]{32}\.(png|jpg|gif|webp)$")], request: Request
) -> FileResponse:
    """A stored screenshot (content-addressed names: nothing else can be asked for)."""
    path = request.app.state.settings.var_dir / "uploads" / name
    if not path.exists():
        raise NotFound("no such upload", code="upload_not_found")
    return FileResponse(path)
