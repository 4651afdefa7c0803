"""The hub's client of the Rasa server: its REST channel and its HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

from bot.errors import AssistantUnavailable
from channels.base import Button, OutboundMessage


def reply_from_rasa(conversation_id: str, item: dict[str, Any]) -> OutboundMessage:
    """Convert one REST-channel reply (`text`, `buttons`, `image`, `custom`) to our model."""
    buttons = tuple(
        Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
        for b in item.get("buttons") or ()
    )
    custom = item.get("custom")
    return OutboundMessage(
        conversation_id=conversation_id,
        text=str(item.get("text") or ""),
        buttons=buttons,
        image=item.get("image"),
        custom=custom if isinstance(custom, dict) else None,
    )


class RasaClient:
    """Talks to one Rasa server; network I/O goes through the injected `httpx.AsyncClient`.

    Rasa's HTTP API (`/model/parse`, `/status`, trackers) wants its `--auth-token` as the
    `token` query parameter; its REST channel takes none, which is why Rasa listens only on
    loopback or a private network. Errors never quote the URL, which holds the token.
    """

    def __init__(
        self, base_url: str, http: httpx.AsyncClient, timeout_s: float, token: str | None = None
    ) -> None:
        self._base = base_url.rstrip("/")
        self._http = http
        self._timeout = timeout_s
        self._auth = {"token": token} if token else {}

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any]
    ) -> list[OutboundMessage]:
        """Hand one customer message to the assistant and return its replies."""
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        items = await self._post("/webhooks/rest/webhook", body, {})
        if not isinstance(items, list):
            raise AssistantUnavailable("the assistant answered with an unexpected body")
        return [reply_from_rasa(conversation_id, item) for item in items if isinstance(item, dict)]

    async def parse(self, text: str) -> dict[str, Any]:
        """The assistant's understanding of `text` alone (intent, ranking, entities), no
        dialogue: for one-shot channels such as email."""
        parsed = await self._post("/model/parse", {"text": text}, self._auth)
        if not isinstance(parsed, dict):
            raise AssistantUnavailable("the assistant answered with an unexpected body")
        return parsed

    async def _post(self, path: str, body: dict[str, Any], params: dict[str, str]) -> Any:
        try:
            response = await self._http.post(
                f"{self._base}{path}", json=body, params=params, timeout=self._timeout
            )
            response.raise_for_status()
            return response.json()
        except httpx.TimeoutException as exc:
            raise AssistantUnavailable(
                f"the assistant did not answer within {self._timeout:g} s; "
                "your message is saved and will be answered"
            ) from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise AssistantUnavailable(
                "the assistant is unreachable right now; your message is saved and will be answered"
            ) from exc

    async def status(self) -> dict[str, Any]:
        """Rasa's `/status`: raises unless the server is up with a model loaded (the reason
        is shown on the public `/readyz`: it names the status, never the URL)."""
        response = await self._http.get(f"{self._base}/status", params=self._auth, timeout=2.0)
        if response.status_code != 200:
            raise RuntimeError(f"Rasa answered {response.status_code} on /status")
        status: dict[str, Any] = response.json()
        if not status.get("model_file"):
            raise RuntimeError("Rasa is up but has no model loaded")
        return status
