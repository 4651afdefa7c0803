"""The Rasa action endpoint served by the hub, through rasa_sdk's own `ActionExecutor`.

Serving `actions/` here shares the hub's loaded services (the KB retriever and its embedding
model) instead of loading them a second time in a separate process. The same package still
runs alone with `python -m rasa_sdk --actions actions` when actions are scaled out.

Only Rasa may call: each call carries the shared `ACTION_SECRET` as a bearer token (set in
endpoints.yml); without one configured, every call is refused. Actions mail verification codes
and open tickets, so an open endpoint would let anyone do that in a customer's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from bot.errors import BadRequest, Unauthorized
from bot.security.bearer import same_secret

_BEARER = HTTPBearer(auto_error=False, description="ACTION_SECRET, as Rasa sends it")


def rasa_calling(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> None:
    """Who may call: Rasa, proving it with the shared action secret (checked before the body
    is read)."""
    secret = request.app.state.settings.action_secret
    given = credentials.credentials if credentials else None
    if not same_secret(given, secret.get_secret_value() if secret else None):
        raise Unauthorized("the action endpoint is for Rasa only", code="unauthorized")


router = APIRouter(tags=["actions"], dependencies=[Depends(rasa_calling)])


def create_executor(package: str = "actions") -> ActionExecutor:
    """An executor with every action of `package` registered."""
    executor = ActionExecutor()
    executor.register_package(package)
    return executor


@router.post("/webhook")
async def webhook(request: Request) -> JSONResponse:
    """Run one custom action for Rasa (same contract and status codes as rasa_sdk's server)."""
    executor: ActionExecutor = request.app.state.action_executor
    try:
        action_call: Any = await request.json()
    except ValueError as exc:
        raise BadRequest("action call is not valid JSON", code="malformed_json") from exc
    if not isinstance(action_call, dict):
        raise BadRequest("action call must be a JSON object", code="malformed_json")
    try:
        result = await executor.run(action_call)
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, 400)
    except ActionNotFoundException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, 404)
    return JSONResponse(result.model_dump() if result else None)


@router.get("/actions")
async def list_actions(request: Request) -> list[dict[str, Any]]:
    """The registered actions, as rasa_sdk's server lists them."""
    executor: ActionExecutor = request.app.state.action_executor
    return [item.model_dump() for item in executor.list_actions()]
