"""Who is calling the console: the session cookie, the CSRF token, the role's permissions."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request

from bot.errors import Forbidden, Unauthorized
from bot.staff.accounts import Accounts, ConsoleUser, Permission

COOKIE = "imageko_console"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def accounts(request: Request) -> Accounts:
    """The app's account service."""
    service: Accounts = request.app.state.accounts
    return service


def client_address(request: Request) -> str:
    """The caller's address: the connection's peer, which the server rewrites from
    `X-Forwarded-For` only for a configured trusted proxy (`TRUSTED_PROXIES`)."""
    return request.client.host if request.client else "unknown"


async def signed_in(request: Request) -> ConsoleUser | None:
    """The session's user, or None: pages redirect to the sign-in form on None."""
    return await accounts(request).user_for(request.cookies.get(COOKIE))


def check_csrf(user: ConsoleUser, given: str | None) -> None:
    """A state-changing request must echo its session's CSRF token (403 otherwise)."""
    if not given or not secrets.compare_digest(given.encode(), user.csrf.encode()):
        raise Forbidden("missing or wrong CSRF token; reload the page", code="csrf")


async def console_user(request: Request) -> ConsoleUser:
    """The signed-in user (401 without a session); unsafe methods must carry the CSRF header."""
    user = await signed_in(request)
    if user is None:
        raise Unauthorized("sign in to the console", code="signed_out")
    if request.method not in SAFE_METHODS:
        check_csrf(user, request.headers.get(CSRF_HEADER))
    if user.must_change_password:
        raise Forbidden(
            "choose your own password first (/console/password)", code="password_change_required"
        )
    return user


def require(permission: Permission) -> Callable[[Request], Awaitable[ConsoleUser]]:
    """A dependency: the signed-in user, if their role allows `permission` (403 otherwise)."""

    async def dependency(request: Request) -> ConsoleUser:
        user = await console_user(request)
        if not user.can(permission):
            raise Forbidden(
                f"a {user.role.value.replace('_', ' ')} cannot do this", code="wrong_role"
            )
        return user

    return dependency
