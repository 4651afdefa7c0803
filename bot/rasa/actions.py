"""The Rasa action endpoint served by the hub, through rasa_sdk's own `ActionExecutor`.

Serving `actions/` here shares the hub's loaded services (the KB retriever and its embedding
model) instead of loading them a second time in a separate process. The same package still
runs alone with `python -m rasa_sdk --actions actions` when actions are scaled out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from bot.errors import BadRequest

router = APIRouter(tags=["actions"])


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
