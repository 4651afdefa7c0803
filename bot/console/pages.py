"""The console's pages and its live feed: server-rendered shells, a small script, SSE.

Pages redirect to the sign-in form without a session and show a 403 page for the wrong role;
the live feed and the API answer 401/403 in JSON. Every page is sent with a strict CSP, so
even a customer's `<script>` that slipped past escaping could not run.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from bot.console.live import LiveFeed
from bot.errors import PayloadTooLarge, ServiceUnavailable, TooManyRequests, Unauthorized
from bot.language.detect import SUPPORTED
from bot.staff.accounts import ConsoleUser, Permission
from bot.staff.guard import COOKIE, accounts, check_csrf, require, signed_in
from bot.staff.throttle import LoginThrottle
from bot.tickets.base import LIVE_CHANNELS
from bot.triage import policy

log = logging.getLogger(__name__)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LOGIN_CSRF_COOKIE = "imageko_login_csrf"
MAX_FORM_BYTES = 4096
KEEPALIVE_S = 15.0  # also how often a live feed re-checks its session
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
STATUSES = ("new", "open", "pending_customer", "resolved", "closed")

router = APIRouter(prefix="/console", include_in_schema=False)


def _secure(request: Request) -> bool:
    """Cookies are Secure whenever the desk is served over HTTPS."""
    return str(request.app.state.settings.public_url).startswith("https://")


def _page(
    request: Request,
    template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _shell(request: Request, user: ConsoleUser, page: str, **context: Any) -> HTMLResponse:
    return _page(
        request,
        f"{page}.html",
        {
            "user": user,
            "page": page,
            "supervisor": user.can(Permission.SUPERVISE),
            "queues": list(policy.QUEUES),
            "tiers": list(range(1, policy.MAX_TIER + 1)),
            "priorities": list(policy.PRIORITY_RANK),
            "channels": sorted({*LIVE_CHANNELS, "email"}),
            "langs": list(SUPPORTED),
            "statuses": STATUSES,
            **context,
        },
    )


async def _allowed(request: Request, permission: Permission) -> ConsoleUser | Response:
    """The signed-in user if their role allows `permission`; else the sign-in redirect or the
    403 page, for the page handler to return."""
    user = await signed_in(request)
    if user is None:
        return _to_sign_in(request)
    if not user.can(permission):
        return _forbidden(request, user)
    return user


def _to_sign_in(request: Request) -> RedirectResponse:
    target = quote(request.url.path, safe="/")
    return RedirectResponse(f"/console/login?next={target}", status_code=303)


def _forbidden(request: Request, user: ConsoleUser) -> HTMLResponse:
    return _page(request, "forbidden.html", {"user": user, "page": "forbidden"}, status=403)


def safe_next(target: str) -> str:
    """Only a console path: never an open redirect to another site."""
    ok = target.startswith("/console") and not target.startswith("//") and "\\" not in target
    return target if ok else "/console"


def _login_form(
    request: Request, *, error: str = "", status: int = 200, user_id: str = "", target: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = _page(
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
        secure=_secure(request),
    )
    return response


async def _form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PayloadTooLarge("form too large", limit=MAX_FORM_BYTES)
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str = "/console") -> Response:
    """The sign-in form (straight to the console when already signed in)."""
    if await signed_in(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, target=next)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password (rate-limited per user and per address), then start a session."""
    form = await _form(request)
    user_id, password = form.get("username", "").strip(), form.get("password", "")
    target = form.get("next", "/console")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = form.get("csrf", "")
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        return _login_form(
            request, error="The form expired; please sign in again.", status=403, target=target
        )
    redis = request.app.state.redis
    if redis is None:
        raise ServiceUnavailable("console sign-in needs Redis (REDIS_URL)", code="no_redis")
    throttle = LoginThrottle(redis)
    address = request.client.host if request.client else "unknown"
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
        log.info("console sign-in failed for %r from %s", user_id, address)
        return _login_form(
            request,
            error="Wrong user name or password.",
            status=401,
            user_id=user_id,
            target=target,
        )
    await throttle.succeeded(user_id)
    log.info("console sign-in: %s (%s)", user.id, user.role.value)
    signed = RedirectResponse(safe_next(target), status_code=303)
    signed.set_cookie(
        COOKIE,
        token,
        max_age=int(request.app.state.accounts.ttl.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    signed.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return signed


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (the form carries its CSRF token)."""
    user = await signed_in(request)
    if user is None:
        return RedirectResponse("/console/login", status_code=303)
    check_csrf(user, (await _form(request)).get("csrf"))
    await accounts(request).sign_out(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
async def queue(request: Request) -> Response:
    """The live queue."""
    user = await _allowed(request, Permission.TICKETS)
    if isinstance(user, Response):
        return user
    return _shell(request, user, "queue")


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket(request: Request, number: str) -> Response:
    """One conversation: transcript, customer card, assist, actions."""
    user = await _allowed(request, Permission.TICKETS)
    if isinstance(user, Response):
        return user
    await request.app.state.tickets.get(number)  # 404 for a ticket that does not exist
    public_url = request.app.state.settings.public_url
    return _shell(request, user, "ticket", number=number.upper(), public_url=public_url)


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor(request: Request) -> Response:
    """Agents online, their load, breached and at-risk tickets."""
    user = await _allowed(request, Permission.SUPERVISE)
    if isinstance(user, Response):
        return user
    return _shell(request, user, "supervisor")


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
