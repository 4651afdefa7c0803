"""The download of a data export: the link mailed to the customer's address on file."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from bot.privacy.requests import PrivacyRequests

router = APIRouter(tags=["privacy"])
FILENAME = "imageko-support-data.zip"


# `:path`: whatever follows the prefix is looked up, so every wrong link gets the same 404.
@router.get("/privacy/exports/{token:path}", response_class=FileResponse)
async def download(token: str, request: Request) -> FileResponse:
    """Whoever holds the mailed link: the token is the credential (compared by its hash).
    Until the link expires the ZIP is served as a download that nothing may cache; an
    unknown, expired or erased link is one and the same 404."""
    service: PrivacyRequests = request.app.state.privacy
    path = await service.download(token, request.client.host if request.client else None)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=FILENAME,  # Content-Disposition: attachment
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
