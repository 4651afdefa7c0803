"""After verification for `data_privacy`: an export or an erasure, done by `bot.privacy`.

`privacy_form` asks which one (buttons, or the customer's words), and for an erasure an
explicit confirmation; `action_privacy` carries it out. Anything else, or a conversation the
store does not show as recently verified, goes to people as before.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import LeavableForm
from actions.routing import FORM_STATE
from bot import privacy
from bot.errors import ServiceUnavailable
from bot.language.detect import DEFAULT
from bot.privacy.requests import CUSTOMER
from bot.triage import policy
from bot.triage.routing import has_cue

EXPORT, ERASE, PEOPLE = "export", "erase", "people"
CONFIRMED, NOT_CONFIRMED, NOT_ASKED = "yes", "no", "not_asked"
PRIVACY_STATE = ("privacy_request", "privacy_confirm")


def _intent(tracker: Tracker) -> str:
    return str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")


def choice(intent: str, text: str, lang: str) -> str:
    """Export, erase, or people: a button says it outright; words must say one of the two."""
    if intent == "privacy_export":
        return EXPORT
    if intent == "privacy_erase":
        return ERASE
    export = has_cue(policy.PRIVACY_EXPORT_CUES, text, lang)
    erase = has_cue(policy.PRIVACY_ERASE_CUES, text, lang)
    if export == erase:
        return PEOPLE
    return EXPORT if export else ERASE


class ValidatePrivacyForm(LeavableForm):
    """`validate_privacy_form`: export or erase; an erasure only with the confirm button."""

    def name(self) -> str:
        return "validate_privacy_form"

    async def validate_privacy_request(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = str(tracker.get_slot("lang") or DEFAULT)
        picked = choice(_intent(tracker), str(value or ""), lang)
        if picked == ERASE:
            return {"privacy_request": ERASE}  # the form asks for confirmation next
        return {"privacy_request": picked, "privacy_confirm": NOT_ASKED}

    async def validate_privacy_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        confirmed = _intent(tracker) == "affirm"
        return {"privacy_confirm": CONFIRMED if confirmed else NOT_CONFIRMED}


class ActionPrivacy(Action):  # type: ignore[misc]
    """`action_privacy`: mail the export's link, or erase, for the verified customer."""

    def name(self) -> str:
        return "action_privacy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = tracker.get_slot("privacy_request")
        resets = [SlotSet(slot, None) for slot in PRIVACY_STATE]
        if tracker.get_slot("form_exit"):  # the customer left the form: a person, or stop
            return [*resets, FollowupAction("action_handoff_next")]
        service = privacy.current()
        customer = await service.verified_customer(tracker.sender_id)
        if asked not in (EXPORT, ERASE) or customer is None:
            return [*resets, FollowupAction("action_handoff")]
        # The request is done: a next one proves ownership again.
        done = [*resets, *(SlotSet(slot, None) for slot in FORM_STATE), SlotSet("routing", None)]
        if asked == ERASE and tracker.get_slot("privacy_confirm") != CONFIRMED:
            dispatcher.utter_message(response="utter_privacy_kept")
            return [*done, FollowupAction("action_listen")]
        if asked == ERASE:
            await service.erase(customer, CUSTOMER, keep_conversation=tracker.sender_id)
            dispatcher.utter_message(response="utter_privacy_erased")
            return [*done, FollowupAction("action_listen")]
        lang = str(tracker.get_slot("lang") or DEFAULT)
        try:
            mailed = await service.export_by_email(customer, CUSTOMER, lang)
        except ServiceUnavailable:
            dispatcher.utter_message(response="utter_privacy_export_failed")
            return [*resets, FollowupAction("action_handoff")]
        dispatcher.utter_message(response="utter_privacy_export_sent", hours=mailed.hours)
        return [*done, FollowupAction("action_listen")]
