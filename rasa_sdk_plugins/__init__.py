"""The action server's own guard when actions run alone (`python -m rasa_sdk --actions
actions`): rasa_sdk imports this top-level package, if it exists, to let plugins extend its
Sanic app. Same rule as the hub's action endpoint: `/webhook` and `/actions` answer only calls
that carry `Authorization: Bearer <ACTION_SECRET>`; with no secret configured, none do.
`/health` stays open for load balancers."""

from __future__ import annotations

from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.request import Request

from bot.security.bearer import bearer_token, same_secret
from bot.settings import load_settings

hookimpl = pluggy.HookimplMarker("rasa_sdk")
GUARDED = frozenset({"/webhook", "/actions"})


class ActionSecretGuard:
    """The rasa_sdk plugin: a request middleware on the action server's app."""

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic[Any, Any]) -> None:
        secret = load_settings().action_secret
        expected = secret.get_secret_value() if secret else None

        async def only_rasa(request: Request) -> Any:
            given = bearer_token(request.headers.get("authorization"))
            if request.path in GUARDED and not same_secret(given, expected):
                return response.json({"error": "the action endpoint is for Rasa only"}, 401)
            return None

        app.on_request(only_rasa)


def init_hooks(manager: pluggy.PluginManager) -> None:
    """rasa_sdk's entry point for plugins."""
    manager.register(ActionSecretGuard())
