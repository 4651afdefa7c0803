"""Screenshots customers send the team: uploaded into a conversation, served back by name."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from bot.conversations.store import ConversationStore
from bot.db.models import MessageStatus
from bot.errors import InvalidField, NotFound, PayloadTooLarge
from bot.http.access import Conversation, PublicLimits, client_address, hit
from bot.security.images import FORMATS, NotAnImage, clean_image
from channels.base import InboundMessage

router = APIRouter(prefix="/api/v1", tags=["conversations"])
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_CONTENT_TYPE = {extension: content_type for content_type, extension in FORMATS.values()}
# An upload is customer content: never sniffed, never a document that could run anything.
SERVED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, max-age=86400",
}


class UploadOut(BaseModel):
    """A stored screenshot: where it is served, and the transcript line that shows it."""

    url: str
    message_id: int
    content_type: str


@router.post("/conversations/{conversation_id}/uploads", response_model=UploadOut)
async def upload(conversation_id: Conversation, request: Request) -> UploadOut:
    """A screenshot for the team: the raw image as the body (PNG, JPEG, GIF or WebP, at most
    5 MB and 40 M pixels, read by Pillow whatever its declared type, and stored re-encoded so
    only its pixels are kept). It joins the conversation, and its ticket while people own it.
    The conversation's token only; rate-limited per conversation and per address."""
    limits: PublicLimits = request.app.state.limits
    await hit(
        request,
        (limits.uploads_per_conversation, conversation_id),
        (limits.uploads_per_address, client_address(request)),
    )
    declared = int(request.headers.get("content-length") or 0)
    if declared > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("images are limited to 5 MB", code="upload_too_large")
    data = await request.body()
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("images are limited to 5 MB", code="upload_too_large")
    try:
        image = await asyncio.to_thread(clean_image, data)
    except NotAnImage as exc:
        raise InvalidField(str(exc), code=exc.code, field="body") from exc
    settings = request.app.state.settings
    name = f"{hashlib.sha256(image.data).hexdigest()[:32]}.{image.extension}"
    folder = settings.var_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(image.data)
    url = f"/api/v1/uploads/{name}"
    store: ConversationStore = request.app.state.store
    stored = await store.record_inbound(
        InboundMessage(
            conversation_id=conversation_id,
            channel="webchat",
            text="[screenshot]",
            metadata={"image": url, "content_type": image.content_type, "bytes": len(image.data)},
        ),
        await store.conversation_lang(conversation_id) or "en",
    )
    await store.mark(stored.id, MessageStatus.PROCESSED)
    return UploadOut(url=url, message_id=stored.id, content_type=image.content_type)


@router.get("/uploads/{name}", include_in_schema=False)
async def uploaded(
    name: Annotated[str, Path(pattern=r"^[0-9a-f]{32}\.(png|jpg|gif|webp)$")], request: Request
) -> FileResponse:
    """A stored screenshot (content-addressed names: nothing else can be asked for), shown
    inline as the image type its name says, never sniffed."""
    path = request.app.state.settings.var_dir / "uploads" / name
    if not path.exists():
        raise NotFound("no such upload", code="upload_not_found")
    return FileResponse(
        path,
        media_type=_CONTENT_TYPE[name.rsplit(".", 1)[1]],
        headers={**SERVED_HEADERS, "Content-Disposition": f'inline; filename="{name}"'},
    )
