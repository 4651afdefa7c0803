"""The console's pages and its live feed: server-rendered shells, a small script, SSE.

Pages redirect to the sign-in form without a session and show a 403 page for the wrong role;
the live feed and the API answer 401/403 in JSON. Headers and the page guard: `render`.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from bot.console.live import LiveFeed
from bot.console.render import (
    PASSWORD_PAGE,
    allowed,
    first,
    form,
    page,
    secure,
    shell,
    to_sign_in,
)
from bot.errors import DeskError, InvalidField, ServiceUnavailable, TooManyRequests, Unauthorized
from bot.staff.accounts import ConsoleUser, Permission
from bot.staff.audit import AuditLog
from bot.staff.guard import COOKIE, accounts, check_csrf, client_address, require, signed_in
from bot.staff.throttle import LoginThrottle

log = logging.getLogger(__name__)
LOGIN_CSRF_COOKIE = "imageko_login_csrf"
KEEPALIVE_S = 15.0  # also how often a live feed re-checks its session

router = APIRouter(prefix="/console", include_in_schema=False)


def safe_next(target: str) -> str:
    """Only a console path: never an open redirect to another site."""
    ok = target.startswith("/console") and not target.startswith("//") and "\\" not in target
    return target if ok else "/console"


def _audit(request: Request) -> AuditLog:
    audit: AuditLog = request.app.state.audit
    return audit


def _login_form(
    request: Request, *, error: str = "", status: int = 200, user_id: str = "", target: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        {"csrf": token, "error": error, "user_id": user_id, "next": safe_next(target)},
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/console/login",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/console") -> Response:
    """The sign-in form (straight to the console when already signed in)."""
    if await signed_in(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, target=next)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password (throttled: `bot.staff.throttle`), then start a session."""
    fields = await form(request)
    user_id, password = first(fields, "username").strip(), first(fields, "password")
    target = first(fields, "next", "/console")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = first(fields, "csrf")
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        return _login_form(
            request, error="The form expired; please sign in again.", status=403, target=target
        )
    throttle: LoginThrottle | None = request.app.state.login_throttle
    if throttle is None:
        raise ServiceUnavailable("console sign-in needs Redis (REDIS_URL)", code="no_redis")
    address = client_address(request)
    try:
        await throttle.check(user_id, address)
        token, user = await accounts(request).sign_in(user_id, password)
    except TooManyRequests as exc:
        log.warning("console sign-in throttled for %r from %s", user_id, address)
        response = _login_form(
            request, error=exc.message, status=429, user_id=user_id, target=target
        )
        response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response
    except Unauthorized:
        await throttle.failed(user_id, address)
        await _audit(request).record(user_id or "-", "sign_in_failed", address=address)
        log.info("console sign-in failed for %r from %s", user_id, address)
        return _login_form(
            request,
            error="Wrong user name or password.",
            status=401,
            user_id=user_id,
            target=target,
        )
    await throttle.succeeded(user_id, address)
    await _audit(request).record(
        user.id, "signed_in", data={"role": user.role.value}, address=address
    )
    log.info("console sign-in: %s (%s)", user.id, user.role.value)
    landing = PASSWORD_PAGE if user.must_change_password else safe_next(target)
    signed = RedirectResponse(landing, status_code=303)
    signed.set_cookie(
        COOKIE,
        token,
        max_age=int(request.app.state.accounts.ttl.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    signed.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return signed


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the form carries its CSRF token)."""
    user = await signed_in(request)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    check_csrf(user, first(await form(request), "csrf"))
    await accounts(request).sign_out(request.cookies.get(COOKIE, ""))
    await _audit(request).record(user.id, "signed_out", address=client_address(request))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/password", response_class=HTMLResponse)
async def password_form(request: Request) -> Response:
    """Choose a new password (first thing after an admin set one)."""
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    return shell(request, user, "password")


@router.post("/password", response_class=HTMLResponse)
async def change_password(request: Request) -> Response:
    """The current password, the new one twice; other consoles of the person sign out."""
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    fields = await form(request)
    check_csrf(user, first(fields, "csrf"))
    new = first(fields, "new")
    try:
        if new != first(fields, "again"):
            raise InvalidField("the two new passwords differ", code="passwords_differ")
        await accounts(request).change_password(
            request.cookies.get(COOKIE, ""), first(fields, "current"), new
        )
    except DeskError as exc:
        return shell(request, user, "password", status=exc.status, error=exc.message)
    await _audit(request).record(user.id, "password_changed", address=client_address(request))
    return RedirectResponse("/console?password=changed", status_code=303)


@router.get("", response_class=HTMLResponse)
async def queue(request: Request) -> Response:
    """The live queue."""
    user = await allowed(request, Permission.TICKETS)
    if isinstance(user, Response):
        return user
    return shell(request, user, "queue")


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket(request: Request, number: str) -> Response:
    """One conversation: transcript, customer card, assist, actions."""
    user = await allowed(request, Permission.TICKETS)
    if isinstance(user, Response):
        return user
    await request.app.state.tickets.get(number)  # 404 for a ticket that does not exist
    public_url = request.app.state.settings.public_url
    return shell(request, user, "ticket", number=number.upper(), public_url=public_url)


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor(request: Request) -> Response:
    """Agents online, their load, breached and at-risk tickets."""
    user = await allowed(request, Permission.SUPERVISE)
    if isinstance(user, Response):
        return user
    return shell(request, user, "supervisor")


@router.get("/events")
async def events(
    request: Request, user: Annotated[ConsoleUser, Depends(require(Permission.TICKETS))]
) -> StreamingResponse:
    """Server-sent events of every ticket change, from every hub (Redis pub/sub)."""
    feed: LiveFeed | None = request.app.state.live
    if feed is None:
        raise ServiceUnavailable("live updates need Redis (REDIS_URL)", code="no_redis")
    token = request.cookies.get(COOKIE)

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        async with feed.subscribe() as subscription:
            while not await request.is_disconnected():
                event = await subscription.next(KEEPALIVE_S)
                if event is None:
                    # Signed out or expired meanwhile: the feed ends with the session.
                    if await accounts(request).user_for(token) is None:
                        yield "event: signed_out\ndata: {}\n\n"
                        return
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {event.get('type', 'ticket')}\ndata: {json.dumps(event)}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
