"""The admins' people page: who works the desk, their role, queues and tier; add a person,
disable or enable them, reset a password, issue and revoke their API tokens.

Plain server-rendered forms: each POST carries the session's CSRF token, answers with a
redirect back (or, for a new password or token, the one page that shows it, once), and writes
one line to the audit log. Only a role with the USERS permission (admins) reaches any of it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.console.render import allowed, first, form, shell
from bot.errors import DeskError, InvalidField, NotFound
from bot.staff.accounts import USER_ID, Accounts, ConsoleUser, Permission, Role, one_time_password
from bot.staff.audit import AuditLog
from bot.staff.guard import check_csrf, client_address
from bot.staff.people import People
from bot.staff.tokens import ApiTokens

router = APIRouter(prefix="/console/people", include_in_schema=False)
PersonId = Annotated[str, Path(pattern=USER_ID.pattern)]
# What a redirect back says happened (a fixed text per key: nothing of the URL is echoed).
DONE = {
    "saved": "Saved.",
    "disabled": "Disabled: their sessions ended and their API tokens were revoked.",
    "enabled": "Enabled again. Their old API tokens stay revoked.",
    "revoked": "Token revoked.",
}


class _Page:
    """One admin request: the admin, the services, and the audit line it writes."""

    def __init__(self, request: Request, admin: ConsoleUser) -> None:
        self.request = request
        self.admin = admin
        state = request.app.state
        self.people: People = state.people
        self.accounts: Accounts = state.accounts
        self.tokens: ApiTokens = state.api_tokens
        self._audit: AuditLog = state.audit

    async def record(self, action: str, subject: str, data: dict[str, Any] | None = None) -> None:
        await self._audit.record(self.admin.id, action, subject, data, client_address(self.request))

    async def fields(self) -> dict[str, list[str]]:
        """The posted form, once its CSRF token is checked."""
        fields = await form(self.request)
        check_csrf(self.admin, first(fields, "csrf"))
        return fields


async def _admin(request: Request) -> _Page | Response:
    user = await allowed(request, Permission.USERS)
    return user if isinstance(user, Response) else _Page(request, user)


def _work(fields: dict[str, list[str]]) -> tuple[Role, list[str], int]:
    """Role, queues and tier from a form (422 for a role or tier that is not one)."""
    try:
        role = Role(first(fields, "role"))
        tier = int(first(fields, "tier", "1"))
    except ValueError as exc:
        raise InvalidField("choose a role and a tier", field="role") from exc
    return role, fields.get("queues", []), tier


async def _list(admin: _Page, status: int = 200, **context: Any) -> HTMLResponse:
    people = await admin.people.everyone()
    return shell(
        admin.request, admin.admin, "people", status, people=people, roles=list(Role), **context
    )


async def _person(admin: _Page, person_id: str, status: int = 200, **context: Any) -> HTMLResponse:
    person = await admin.people.get(person_id)
    tokens = await admin.tokens.tokens(person_id)
    return shell(
        admin.request,
        admin.admin,
        "person",
        status,
        person=person,
        tokens=tokens,
        roles=list(Role),
        **context,
    )


def _back(person_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/console/people/{person_id}?done={done}", status_code=303)


@router.get("", response_class=HTMLResponse)
async def people(request: Request) -> Response:
    """Everyone, with role, queues, tier, status and last sign-in; and the form to add one."""
    admin = await _admin(request)
    return admin if isinstance(admin, Response) else await _list(admin)


@router.post("", response_class=HTMLResponse)
async def add(request: Request) -> Response:
    """Add a person with a one-time password, shown once; they choose their own at sign-in."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    fields = await admin.fields()
    person_id = first(fields, "id").strip()
    password = one_time_password()
    try:
        role, queues, tier = _work(fields)
        await admin.accounts.create_user(
            person_id,
            name=first(fields, "name").strip() or person_id,
            role=role,
            password=password,
            queues=queues,
            tier=tier,
            email=first(fields, "email").strip() or None,
            must_change_password=True,
        )
    except DeskError as exc:
        return await _list(admin, exc.status, error=exc.message)
    await admin.record(
        "person_added", person_id, {"role": role.value, "queues": queues, "tier": tier}
    )
    return shell(
        request,
        admin.admin,
        "secret",
        person_id=person_id,
        what="one-time password",
        secret=password,
        note="Hand it over in person or on another channel; at first sign-in they choose "
        "their own.",
    )


@router.get("/{person_id}", response_class=HTMLResponse)
async def person(request: Request, person_id: PersonId, done: str = "") -> Response:
    """One person: their role, queues and tier, status, password, API tokens."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    return await _person(admin, person_id, done=DONE.get(done, ""))


@router.post("/{person_id}", response_class=HTMLResponse)
async def save(request: Request, person_id: PersonId) -> Response:
    """Change name, role, queues and tier (a role change is audited as such)."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    fields = await admin.fields()
    try:
        role, queues, tier = _work(fields)
        changes = await admin.people.update(
            person_id, name=first(fields, "name"), role=role, queues=queues, tier=tier
        )
    except DeskError as exc:
        return await _person(admin, person_id, exc.status, error=exc.message)
    if "role" in changes:
        before, after = changes.pop("role")
        await admin.record("role_changed", person_id, {"from": before, "to": after})
    if changes:
        await admin.record("person_updated", person_id, {"changes": changes})
    return _back(person_id, "saved")


@router.post("/{person_id}/disable", response_class=HTMLResponse)
async def disable(request: Request, person_id: PersonId) -> Response:
    """Turn the person off: sessions end, tokens are revoked."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    await admin.fields()
    try:
        await admin.people.disable(person_id, by=admin.admin.id)
    except DeskError as exc:
        return await _person(admin, person_id, exc.status, error=exc.message)
    await admin.record("person_disabled", person_id)
    return _back(person_id, "disabled")


@router.post("/{person_id}/enable", response_class=HTMLResponse)
async def enable(request: Request, person_id: PersonId) -> Response:
    """Turn the person on again."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    await admin.fields()
    await admin.people.enable(person_id)
    await admin.record("person_enabled", person_id)
    return _back(person_id, "enabled")


@router.post("/{person_id}/password", response_class=HTMLResponse)
async def reset_password(request: Request, person_id: PersonId) -> Response:
    """A one-time password, shown once; their consoles sign out, they choose a new one."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    await admin.fields()
    password = one_time_password()
    await admin.accounts.set_password(person_id, password, one_time=True)
    await admin.record("password_reset", person_id)
    return shell(
        request,
        admin.admin,
        "secret",
        person_id=person_id,
        what="one-time password",
        secret=password,
        note="Their consoles were signed out. At the next sign-in they choose their own.",
    )


@router.post("/{person_id}/tokens", response_class=HTMLResponse)
async def issue_token(request: Request, person_id: PersonId) -> Response:
    """A new API token acting as this person, shown once."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    fields = await admin.fields()
    try:
        token, row = await admin.tokens.issue(
            person_id, name=first(fields, "name"), by=admin.admin.id
        )
    except DeskError as exc:
        return await _person(admin, person_id, exc.status, error=exc.message)
    await admin.record("token_issued", person_id, {"token": row.id, "name": row.name})
    return shell(
        request,
        admin.admin,
        "secret",
        person_id=person_id,
        what=f"API token “{row.name}”",
        secret=token,
        note="Send it in the header “Authorization: Bearer …”. It acts as this person, with their "
        "role, until revoked.",
    )


@router.post("/{person_id}/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(request: Request, person_id: PersonId, token_id: int) -> Response:
    """Stop one of the person's tokens."""
    admin = await _admin(request)
    if isinstance(admin, Response):
        return admin
    await admin.fields()
    if token_id not in {t.id for t in await admin.tokens.tokens(person_id)}:
        raise NotFound(f"{person_id} has no API token {token_id}", code="token_not_found")
    await admin.tokens.revoke(token_id)
    await admin.record("token_revoked", person_id, {"token": token_id})
    return _back(person_id, "revoked")
