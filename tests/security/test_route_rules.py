"""Who may call each route of the hub: one table, held against the real app.

Every (method, path) of `app.routes` — a mounted sub-app (the web chat's socket.io, the static
files) counts as one entry — needs a row in RULES naming its callers:

- `Public`: anyone (help centre, static files, health, the chat widget's endpoints, sign-in);
- `Signature(platform)`: a platform's webhook, proven by the platform's signature or token;
- `Staff(permission)`: a console session whose role has the permission (and, for the agent
  API, a per-person API token whose person's role has it); unsafe methods also need the
  session's CSRF token;
- `SignedIn`: any console session, whatever the role (sign out, choose a password).

For each row the test calls the app as nobody, as the wrong callers (a role without the
permission, a token on a console page, a session without its CSRF token, a wrong signature) and
as the right ones, and asserts refusal or admission. A route without a row fails
`test_every_route_has_a_rule`; a row without a route fails it too.

Rules that other parts of issue 16 change are written as they hold today, with `later` saying
what they become: the customers' conversation endpoints (a conversation token) and Rasa's
action endpoint (a shared secret).
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from pydantic import SecretStr
from starlette.routing import Mount

from bot.db import session_factory
from bot.db.models import Agent, ConsoleSession, utcnow
from bot.settings import Settings
from bot.staff.accounts import Permission, Role, hash_password, token_id
from bot.staff.guard import COOKIE
from bot.triage.routing import route
from channels.base import InboundMessage
from tests.conftest import ACTION_SECRET
from tests.fakes import graph_api as meta
from tests.fakes import slack_api as sl
from tests.fakes import telegram_api as tg
from tests.fakes import x_api as xf

PASSWORD = "correct horse battery"
BASE = "http://hub.test"


@dataclass(frozen=True)
class Public:
    """Anyone may call it."""


@dataclass(frozen=True)
class Customer:
    """The customer holding the conversation's token (`POST /api/v1/conversations` gives it)."""


@dataclass(frozen=True)
class Internal:
    """Another process of the desk, with the shared secret (Rasa calling the action endpoint)."""


@dataclass(frozen=True)
class Capability:
    """A link whose unguessable token is the permission (a privacy export's download): a
    made-up token gets the same 404 as nothing at all."""


@dataclass(frozen=True)
class Signature:
    """A platform's webhook: only a call signed (or token-checked) as the platform does."""

    platform: str


@dataclass(frozen=True)
class Staff:
    """A console session whose role has `permission`; `api`: a person's API token too."""

    permission: Permission
    api: bool = False


@dataclass(frozen=True)
class SignedIn:
    """Any console session, whatever its role."""


Rule = Public | Customer | Internal | Capability | Signature | Staff | SignedIn
TICKETS, SUPERVISE, USERS = Permission.TICKETS, Permission.SUPERVISE, Permission.USERS
MOUNT = "*"  # a mounted sub-app: every method, one entry

RULES: dict[tuple[str, str], Rule] = {
    # the framework's own pages, the mounts, health
    ("GET", "/openapi.json"): Public(),
    ("GET", "/docs"): Public(),
    ("GET", "/docs/oauth2-redirect"): Public(),
    ("GET", "/redoc"): Public(),
    # Anyone may open a socket; resuming a session needs its token (test_conversation_access).
    (MOUNT, "/socket.io"): Public(),
    (MOUNT, "/static"): Public(),
    ("GET", "/healthz"): Public(),
    ("GET", "/readyz"): Public(),
    # customers
    ("POST", "/api/v1/conversations"): Public(),  # rate-limited per address
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): Customer(),
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): Customer(),
    ("POST", "/api/v1/conversations/{conversation_id}/uploads"): Customer(),
    ("GET", "/api/v1/uploads/{name}"): Public(),
    ("GET", "/api/v1/desk/status"): Public(),
    ("GET", "/help"): Public(),
    ("GET", "/help/{lang}/"): Public(),
    ("GET", "/help/{lang}/categories/{category_id}"): Public(),
    ("GET", "/help/{lang}/search"): Public(),
    ("GET", "/help/{lang}/search.json"): Public(),
    ("GET", "/help/{lang}/contact"): Public(),
    ("GET", "/help/{lang}/{article_id}"): Public(),
    ("POST", "/help/{lang}/{article_id}/vote"): Public(),  # anonymous, rate-limited per address
    # Rasa
    ("POST", "/webhook"): Internal(),
    ("GET", "/actions"): Internal(),
    ("GET", "/privacy/exports/{token:path}"): Capability(),
    # platforms
    ("POST", "/webhooks/telegram"): Signature("telegram"),
    ("POST", "/webhooks/slack/events"): Signature("slack"),
    ("POST", "/webhooks/slack/interactions"): Signature("slack"),
    ("GET", "/webhooks/meta"): Signature("meta"),
    ("POST", "/webhooks/meta"): Signature("meta"),
    ("GET", "/webhooks/twitter"): Public(),  # X's CRC check, by X's design: challenge tokens only
    ("POST", "/webhooks/twitter"): Signature("twitter"),
    # the agent API
    ("GET", "/api/v1/tickets"): Staff(TICKETS, api=True),
    ("GET", "/api/v1/queues/{queue}/tickets"): Staff(TICKETS, api=True),
    ("GET", "/api/v1/tickets/{number}"): Staff(TICKETS, api=True),
    ("GET", "/api/v1/tickets/{number}/suggestions"): Staff(TICKETS, api=True),
    ("GET", "/api/v1/canned"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/claim"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/reply"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/notes"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/transfer"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/escalate"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/resolve"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/reopen"): Staff(TICKETS, api=True),
    ("PUT", "/api/v1/agents/me/presence"): Staff(TICKETS, api=True),
    ("POST", "/api/v1/tickets/{number}/assign"): Staff(SUPERVISE, api=True),
    ("GET", "/api/v1/supervisor"): Staff(SUPERVISE, api=True),
    # the console
    ("GET", "/console/login"): Public(),
    ("POST", "/console/login"): Public(),
    ("POST", "/console/logout"): SignedIn(),
    ("GET", "/console/password"): SignedIn(),
    ("POST", "/console/password"): SignedIn(),
    ("GET", "/console"): Staff(TICKETS),
    ("GET", "/console/tickets/{number}"): Staff(TICKETS),
    ("GET", "/console/events"): Staff(TICKETS),
    ("GET", "/console/supervisor"): Staff(SUPERVISE),
    ("GET", "/console/people"): Staff(USERS),
    ("POST", "/console/people"): Staff(USERS),
    ("GET", "/console/people/{person_id}"): Staff(USERS),
    ("POST", "/console/people/{person_id}"): Staff(USERS),
    ("POST", "/console/people/{person_id}/disable"): Staff(USERS),
    ("POST", "/console/people/{person_id}/enable"): Staff(USERS),
    ("POST", "/console/people/{person_id}/password"): Staff(USERS),
    ("POST", "/console/people/{person_id}/tokens"): Staff(USERS),
    ("POST", "/console/people/{person_id}/tokens/{token_id}/revoke"): Staff(USERS),
    ("GET", "/console/audit"): Staff(USERS),
}

# Who plays the right and the wrong role for each permission.
RIGHT = {TICKETS: "ann", SUPERVISE: "sue", USERS: "ada"}
WRONG = {TICKETS: "cal", SUPERVISE: "ann", USERS: "sue"}
PEOPLE = {
    "ann": Role.AGENT,
    "sue": Role.SUPERVISOR,
    "cal": Role.CONTENT_EDITOR,
    "ada": Role.ADMIN,
    "tia": Role.AGENT,  # the person the people pages change
}
AUTH_CODES = frozenset(
    {"signed_out", "unauthorized", "wrong_role", "csrf", "password_change_required"}
    | {"bad_signature"}
)
SUBSCRIBED = "ok-subscribed"


# --- the hub with every platform configured, on local fakes of their APIs


@pytest.fixture
async def platforms() -> AsyncIterator[dict[str, str]]:
    """Every platform's fake API, by setting name of its base URL."""
    async with (
        tg.FakeTelegram() as telegram,
        sl.FakeSlack() as slack,
        meta.FakeGraph() as graph,
        xf.FakeX() as x,
    ):
        yield {
            "telegram_api_url": telegram.base_url,
            "slack_api_url": slack.base_url,
            "meta_graph_url": graph.base_url,
            "x_api_url": x.base_url,
        }


@pytest.fixture
def settings(settings: Settings, platforms: dict[str, str]) -> Settings:
    secret = SecretStr
    return settings.model_copy(
        update={
            **platforms,
            "telegram_bot_token": secret(tg.TOKEN),
            "telegram_webhook_secret": secret(tg.SECRET),
            "slack_bot_token": secret(sl.TOKEN),
            "slack_signing_secret": secret(sl.SIGNING_SECRET),
            "meta_app_secret": secret(meta.APP_SECRET),
            "meta_verify_token": secret(meta.VERIFY_TOKEN),
            "messenger_page_token": secret(meta.PAGE_TOKEN),
            "instagram_token": secret(meta.INSTAGRAM_TOKEN),
            "meta_page_id": meta.PAGE_ID,
            "instagram_account_id": meta.INSTAGRAM_ACCOUNT_ID,
            "x_consumer_key": xf.CONSUMER_KEY,
            "x_consumer_secret": secret(xf.CONSUMER_SECRET),
            "x_access_token": secret(xf.ACCESS_TOKEN),
            "x_access_token_secret": secret(xf.ACCESS_TOKEN_SECRET),
            "x_bot_user_id": xf.BOT["id"],
        }
    )


@dataclass
class World:
    """The app with one person of each role signed in, their API tokens, and the things the
    paths name: a ticket owned by the agent, a person to administer and their token."""

    app: FastAPI
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # cookie, csrf
    tokens: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    customer_tokens: dict[bool, str] = field(default_factory=dict)  # genuine: this conversation's


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow by design: once for the whole module


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient) -> World:
    """The people as rows with their password hash, and their sessions as the rows a sign-in
    makes (signing in itself is tested in tests/integration/test_console.py)."""
    built = World(app)
    now = utcnow()
    async with session_factory(app.state.engine).begin() as session:
        for person, role in PEOPLE.items():
            session.add(
                Agent(
                    id=person,
                    name=person,
                    role=role.value,
                    password_hash=_password_hash(),
                    queues=["support"],
                    tier=3,
                )
            )
            cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            session.add(
                ConsoleSession(
                    id=token_id(cookie),
                    agent_id=person,
                    csrf=csrf,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
            built.sessions[person] = (cookie, csrf)
    for person in PEOPLE:
        built.tokens[person] = (await app.state.api_tokens.issue(person, name="t", by="ada"))[0]
    mine = (await client.post("/api/v1/conversations")).json()
    other = (await client.post("/api/v1/conversations")).json()
    built.customer_tokens = {True: mine["token"], False: other["token"]}
    conversation = mine["conversation_id"]
    await app.state.store.record_inbound(InboundMessage(conversation, "api", "a person"), "en")
    decision = route("human_request", 1.0, "a person", "en", None, handoff=True).as_dict()
    opened = await app.state.tickets.open_from_handoff(
        conversation, decision, channel="api", lang="en", plan=None
    )
    number = opened.ticket.number or ""
    await app.state.tickets.claim(number, "ann")
    (tia_token,) = await app.state.api_tokens.tokens("tia")
    built.params = {
        "conversation_id": conversation,
        "token:path": "made-up-" + "0" * 40,
        "name": "0" * 32 + ".png",
        "lang": "en",
        "article_id": "download-hires",
        "category_id": "images",
        "queue": "support",
        "number": number,
        "person_id": "tia",
        "token_id": str(tia_token.id),
    }
    return built


# --- what each call sends


@dataclass(frozen=True)
class Caller:
    """Who is calling: nobody, a session (with or without its CSRF token), a person's token,
    or a platform (with its own secret or a wrong one)."""

    label: str
    person: str | None = None
    via: str = "none"  # none | session | token | platform | customer | internal
    csrf: bool = True
    genuine: bool = True


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    form: dict[str, str | list[str]] | None = None
    stream: bool = False  # a server-sent event feed: only its first answer is read


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def _signed(platform: str, path: str, genuine: bool) -> tuple[dict[str, str], bytes]:
    """Headers, body and query of a genuine call of `platform` (or one with a wrong secret)
    that the desk takes and ignores (no customer message in it)."""
    wrong = "not-the-platform-secret-0000000"
    if platform == "telegram":
        return tg.webhook_headers(tg.SECRET if genuine else wrong), _json({"update_id": 1})
    if platform == "slack" and path.endswith("/events"):
        body = sl.body_of(sl.url_verification("challenge-1"))
        return sl.sign(body, secret=sl.SIGNING_SECRET if genuine else wrong), body
    if platform == "slack":
        body = sl.form_of({"type": "view_closed", "team": {"id": sl.TEAM}})
        content_type = "application/x-www-form-urlencoded"
        headers = sl.sign(
            body, secret=sl.SIGNING_SECRET if genuine else wrong, content_type=content_type
        )
        return headers, body
    if platform == "meta":
        body = meta.serialise({"object": "page", "entry": []})
        return meta.signed(body, meta.APP_SECRET if genuine else wrong), body
    body = _json({"for_user_id": xf.BOT["id"]})
    return xf.webhook_headers(body, xf.CONSUMER_SECRET if genuine else wrong), body


def _meta_subscription(genuine: bool) -> str:
    token = meta.VERIFY_TOKEN if genuine else "guessed"
    return f"?hub.mode=subscribe&hub.verify_token={token}&hub.challenge={SUBSCRIBED}"


# The body a right caller sends, by route (JSON for the API, form fields for console pages).
JSON_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): {"text": "hello"},
    ("POST", "/webhook"): {"next_action": "action_listen", "tracker": {}},
    ("POST", "/api/v1/tickets/{number}/reply"): {"text": "Hi, Ann here."},
    ("POST", "/api/v1/tickets/{number}/notes"): {"text": "checked"},
    ("POST", "/api/v1/tickets/{number}/transfer"): {"queue": "trust"},
    ("POST", "/api/v1/tickets/{number}/escalate"): {"reason": "needs a specialist"},
    ("POST", "/api/v1/tickets/{number}/assign"): {"agent": "ann"},
    ("PUT", "/api/v1/agents/me/presence"): {"available": True},
}
FORMS: dict[tuple[str, str], dict[str, str | list[str]]] = {
    ("POST", "/help/{lang}/{article_id}/vote"): {"helpful": "yes"},
    ("POST", "/console/login"): {"username": "ann", "password": PASSWORD, "csrf": "form-1"},
    ("POST", "/console/password"): {
        "current": PASSWORD,
        "new": "a password of my own",
        "again": "a password of my own",
    },
    ("POST", "/console/people"): {"id": "noa", "name": "Noa", "role": "agent", "tier": "1"},
    ("POST", "/console/people/{person_id}"): {
        "name": "Tia",
        "role": "supervisor",
        "queues": ["support", "trust"],
        "tier": "2",
    },
    ("POST", "/console/people/{person_id}/tokens"): {"name": "CRM"},
    ("POST", "/console/logout"): {},
    ("POST", "/console/people/{person_id}/disable"): {},
    ("POST", "/console/people/{person_id}/enable"): {},
    ("POST", "/console/people/{person_id}/password"): {},
    ("POST", "/console/people/{person_id}/tokens/{token_id}/revoke"): {},
}
MOUNT_PATHS = {"/socket.io": "/socket.io/?EIO=4&transport=polling", "/static": "/static/site.css"}


def _request(world: World, key: tuple[str, str], caller: Caller) -> Request:
    method, template = key
    if method == MOUNT:
        return Request("GET", MOUNT_PATHS[template])
    request = Request(
        method,
        template.replace("{token:path}", "{token_path}").format(
            token_path=world.params["token:path"], **world.params
        ),
    )
    if key in JSON_BODIES:
        request.headers["Content-Type"] = "application/json"
        request.content = _json(JSON_BODIES[key])
    if key in FORMS:
        request.form = dict(FORMS[key])
    if key == ("POST", "/console/login"):  # the cookie of the sign-in form, as a browser has it
        request.headers["Cookie"] = "imageko_login_csrf=form-1"
    if key == ("POST", "/api/v1/conversations/{conversation_id}/uploads"):
        request.content = b"not an image"
    if key == ("GET", "/console/events"):
        request.stream = True
    if key in (("GET", "/help/{lang}/search"), ("GET", "/help/{lang}/search.json")):
        request.url += "?q=download"
    if key == ("GET", "/webhooks/twitter"):
        request.url += "?crc_token=challenge"
    if caller.via == "platform" and key[1].startswith("/webhooks/"):
        platform = RULES[key]
        assert isinstance(platform, Signature)
        if method == "GET":
            request.url += _meta_subscription(caller.genuine)
        else:
            request.headers, request.content = _signed(platform.platform, key[1], caller.genuine)
    if caller.via == "session" and caller.person is not None:
        cookie, csrf = world.sessions[caller.person]
        request.headers["Cookie"] = f"{COOKIE}={cookie}"
        if caller.csrf:
            request.headers["X-CSRF-Token"] = csrf
            if request.form is not None:
                request.form["csrf"] = csrf
    if caller.via == "token" and caller.person is not None:
        request.headers["Authorization"] = f"Bearer {world.tokens[caller.person]}"
    if caller.via == "customer":
        request.headers["Authorization"] = f"Bearer {world.customer_tokens[caller.genuine]}"
    if caller.via == "internal":
        secret = ACTION_SECRET if caller.genuine else "not-the-action-secret"
        request.headers["Authorization"] = f"Bearer {secret}"
    return request


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    text: str

    def code(self) -> str | None:
        try:
            body = json.loads(self.text)
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        return error.get("code") if isinstance(error, dict) else None


async def _send(app: FastAPI, client: httpx.AsyncClient, request: Request) -> Reply:
    if request.stream:
        return await _first_answer(app, request)
    client.cookies.clear()  # each call carries only its caller's credentials
    response = await client.request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.content,
        data=request.form,
    )
    return Reply(response.status_code, response.headers, response.text)


async def _first_answer(app: FastAPI, request: Request) -> Reply:
    """Call an endless stream (SSE) straight over ASGI: its status and headers, then hang up."""
    started: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    body: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await started
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.set_result(message)
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    path, _, query = request.url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("hub.test", 80),
    }
    call = asyncio.create_task(app(scope, receive, send))
    start = await asyncio.wait_for(asyncio.shield(started), 10)
    await asyncio.wait_for(call, 20)
    headers = httpx.Headers([(k.decode(), v.decode()) for k, v in start["headers"]])
    return Reply(start["status"], headers, b"".join(body).decode())


# --- what counts as refused and as admitted


def refused(reply: Reply) -> bool:
    """Refused for who the caller is: the sign-in redirect, the wrong-role page, or a 401/403
    naming an identity problem (never a business rule such as "not your ticket")."""
    if reply.status in (302, 303, 307):
        return reply.headers["location"].startswith("/console/login?next=")
    if reply.status == 403 and "Not for your role" in reply.text:
        return True
    return reply.status in (401, 403) and reply.code() in AUTH_CODES


def admitted(reply: Reply) -> bool:
    """Let in: no sign-in redirect and no 401/403 of any kind (a 404, 409 or 503 is fine)."""
    if reply.status in (302, 303, 307):
        return not reply.headers["location"].startswith("/console/login")
    return reply.status not in (401, 403)


def _signed_out(reply: Reply) -> bool:
    cleared = [v for k, v in reply.headers.multi_items() if k == "set-cookie" and COOKIE in v]
    return any('=""' in value or "Max-Age=0" in value for value in cleared)


# Signing out always lands on the sign-in page: what tells a real sign-out is the cookie.
# A capability link answers a made-up token as it answers no resource at all.
JUDGES: dict[tuple[str, str], Callable[[Reply], bool]] = {
    ("POST", "/console/logout"): _signed_out,
    ("GET", "/privacy/exports/{token:path}"): lambda reply: reply.status != 404,
}
SAFE = frozenset({"GET", "HEAD", "OPTIONS", MOUNT})


def cases(key: tuple[str, str], rule: Rule) -> list[tuple[Caller, bool]]:
    """Each caller of the route, and whether it must be let in."""
    nobody = Caller("nobody")
    if isinstance(rule, Public):
        return [(nobody, True)]
    if isinstance(rule, Capability):
        return [(Caller("a made-up link"), False)]
    if isinstance(rule, Customer):
        return [
            (nobody, False),
            (Caller("ann's API token", "ann", "token"), False),
            (Caller("another conversation's token", via="customer", genuine=False), False),
            (Caller("the conversation's token", via="customer"), True),
        ]
    if isinstance(rule, Internal):
        return [
            (nobody, False),
            (Caller("ada's API token", "ada", "token"), False),
            (Caller("a wrong secret", via="internal", genuine=False), False),
            (Caller("the desk's own process", via="internal"), True),
        ]
    if isinstance(rule, Signature):
        return [
            (nobody, False),
            (Caller("a wrong signature", via="platform", genuine=False), False),
            (Caller("the platform", via="platform"), True),
        ]
    unsafe = key[0] not in SAFE
    if isinstance(rule, SignedIn):
        right = [(Caller(f"{p}'s session", p, "session"), True) for p in ("cal", "ann")]
        forged = [(Caller("a session without CSRF", "ann", "session", csrf=False), False)]
        return [(nobody, False), *(forged if unsafe else []), *right]
    good, bad = RIGHT[rule.permission], WRONG[rule.permission]
    calls = [
        (nobody, False),
        (Caller(f"{bad}'s session (wrong role)", bad, "session"), False),
    ]
    if unsafe:
        calls.append((Caller(f"{good}'s session without CSRF", good, "session", csrf=False), False))
    if rule.api:
        calls.append((Caller(f"{bad}'s token (wrong role)", bad, "token"), False))
    else:
        calls.append((Caller(f"{good}'s API token on a console page", good, "token"), False))
    calls.append((Caller(f"{good}'s session", good, "session"), True))
    if rule.api:
        calls.append((Caller(f"{good}'s token", good, "token"), True))
    return calls


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            found.add((MOUNT, str(context.path)))
            continue
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # answered by the GET route itself
        found |= {(method, str(context.path)) for method in methods}
    return found


async def test_every_route_has_a_rule(app: FastAPI) -> None:
    routes = _routes(app)
    assert routes - set(RULES) == set(), "routes without a rule: add them to RULES"
    assert set(RULES) - routes == set(), "rules without a route: remove them from RULES"


@pytest.mark.parametrize("key", list(RULES), ids=[f"{m} {p}" for m, p in RULES])
async def test_each_route_admits_only_its_callers(
    key: tuple[str, str], world: World, client: httpx.AsyncClient
) -> None:
    rule = RULES[key]
    judge = JUDGES.get(key)
    for caller, expected in cases(key, rule):
        reply = await _send(world.app, client, _request(world, key, caller))
        let_in = judge(reply) if judge else admitted(reply)
        shut_out = not let_in if judge else refused(reply)
        what = f"{caller.label}: {reply.status} {reply.text[:160]!r}"
        assert let_in if expected else shut_out, what
