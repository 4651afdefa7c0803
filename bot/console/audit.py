"""The admins' view of the audit log: sign-ins, role and people changes, API tokens, views of
tickets whose topic needs proof of ownership — newest first, filtered by who or what."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.console.render import allowed, shell
from bot.staff.accounts import Permission
from bot.staff.audit import AuditLog

router = APIRouter(prefix="/console", include_in_schema=False)
SHOWN = 200  # lines per page: the newest; filters narrow it down


@router.get("/audit", response_class=HTMLResponse)
async def audit_log(request: Request, actor: str = "", action: str = "") -> Response:
    """The newest audit lines, optionally of one actor and/or one action."""
    user = await allowed(request, Permission.USERS)
    if isinstance(user, Response):
        return user
    audit: AuditLog = request.app.state.audit
    lines = await audit.recent(SHOWN, actor=actor or None, action=action or None)
    return shell(request, user, "audit", lines=lines, actor=actor, action=action, shown=SHOWN)
