"""What every console page shares: templates, the security headers, the sign-in and role check
of a page, and reading a small form.

Every page is sent with a strict CSP (no inline script or style, no framing), so even a
customer's `<script>` that slipped past escaping could not run, and no other site can frame a
console to click through it. Behind HTTPS, pages also pin HTTPS (HSTS) and cookies are Secure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot.errors import BadRequest, PayloadTooLarge
from bot.language.detect import SUPPORTED
from bot.staff.accounts import ConsoleUser, Permission
from bot.staff.guard import signed_in
from bot.tickets.base import LIVE_CHANNELS
from bot.triage import policy

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_FORM_BYTES = 4096
MAX_FORM_FIELDS = 20
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"  # a year; only sent when the desk is served over HTTPS
STATUSES = ("new", "open", "pending_customer", "resolved", "closed")
PASSWORD_PAGE = "/console/password"


def secure(request: Request) -> bool:
    """Whether the desk is served over HTTPS (its public URL says so)."""
    return str(request.app.state.settings.public_url).startswith("https://")


def page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A rendered template with the console's security headers."""
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    if secure(request):
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def shell(
    request: Request, user: ConsoleUser, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page of the signed-in console: the bar with what the role may reach, then `name`."""
    return page(
        request,
        f"{name}.html",
        {
            "user": user,
            "page": name,
            "supervisor": user.can(Permission.SUPERVISE),
            "admin": user.can(Permission.USERS),
            "queues": list(policy.QUEUES),
            "tiers": list(range(1, policy.MAX_TIER + 1)),
            "priorities": list(policy.PRIORITY_RANK),
            "channels": sorted({*LIVE_CHANNELS, "email"}),
            "langs": list(SUPPORTED),
            "statuses": STATUSES,
            **context,
        },
        status,
    )


async def allowed(request: Request, permission: Permission) -> ConsoleUser | Response:
    """The signed-in user if their role allows `permission`; else the sign-in redirect, the
    password page (a password an admin set comes first), or the 403 page, for the handler to
    return."""
    user = await signed_in(request)
    if user is None:
        return to_sign_in(request)
    if user.must_change_password:
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    if not user.can(permission):
        return forbidden(request, user)
    return user


def to_sign_in(request: Request) -> RedirectResponse:
    """To the sign-in form, coming back here afterwards."""
    target = quote(request.url.path, safe="/")
    return RedirectResponse(f"/console/login?next={target}", status_code=303)


def forbidden(request: Request, user: ConsoleUser) -> HTMLResponse:
    """The page for a role that may not see this one."""
    return page(request, "forbidden.html", {"user": user, "page": "forbidden"}, status=403)


async def form(request: Request) -> dict[str, list[str]]:
    """A small url-encoded form, every value of every field (413 past the size limit)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PayloadTooLarge("form too large", limit=MAX_FORM_BYTES)
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:  # more fields than any console form has
        raise BadRequest("too many form fields", code="bad_form") from exc


def first(fields: dict[str, list[str]], name: str, default: str = "") -> str:
    """The first value of a form field."""
    values = fields.get(name)
    return values[0] if values else default
