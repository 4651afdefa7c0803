"""Slots filled from what the hub tells Rasa in each message's metadata."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.language.detect import DEFAULT


class ValidateSlotMappings(ValidationAction):  # type: ignore[misc]
    """`action_validate_slot_mappings`: Rasa runs it after every user message."""

    async def extract_lang(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The language the hub detected for this message (responses are conditioned on it)."""
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        lang = metadata.get("lang")
        if not isinstance(lang, str) or not lang:
            return {"lang": tracker.get_slot("lang") or DEFAULT}
        return {"lang": lang}

    async def extract_plan(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The plan the channel knows (logged-in account, CRM), for the priority raise."""
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        plan = metadata.get("plan")
        if isinstance(plan, str) and plan:
            return {"plan": plan.lower()}
        return {}
