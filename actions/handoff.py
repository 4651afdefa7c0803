"""Before people take over: prove account ownership and collect what the team needs.

`action_handoff_next` decides the next step from the policy (bot.triage.policy): the
verification form for sensitive topics, the details form of the topic, then the hand-off
(a verified `data_privacy` request is carried out by actions/privacy.py instead).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import verification
from bot.language.detect import DEFAULT
from bot.triage import policy, replies
from bot.triage.routing import has_cue
from bot.verification.service import Outcome

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LAST4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")
URL = re.compile(r"https?://\S+")
SKIPPED = "skipped"
PERSON, STOP = "person", "stop"  # how a form was left (`form_exit`)
DETAIL_FORMS = {"charged_twice": "billing_form", "refund_request": "billing_form"}
DETAIL_FORMS["copyright_report"] = "copyright_form"


def _topic(tracker: Tracker) -> str:
    return str((tracker.get_slot("routing") or {}).get("topic") or "")


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def _lang(tracker: Tracker) -> str:
    return str(tracker.get_slot("lang") or DEFAULT)


def _skips(tracker: Tracker) -> bool:
    return has_cue(policy.SKIP_CUES, _text(tracker), _lang(tracker))


def _form_slots(domain: DomainDict) -> list[str]:
    """Every slot a form of the domain asks for."""
    forms = domain.get("forms") or {}
    return [slot for form in forms.values() for slot in form.get("required_slots") or []]


class ActionHandoffNext(Action):  # type: ignore[misc]
    """`action_handoff_next`: verification first where the policy wants it, then details.
    A form the customer left (`form_exit`) hands over now, or drops the request."""

    def name(self) -> str:
        return "action_handoff_next"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        left = tracker.get_slot("form_exit")
        if left == PERSON:  # with what was collected so far; agents verify another way
            return [SlotSet("form_exit", None), FollowupAction("action_handoff")]
        if left == STOP:
            dispatcher.utter_message(response="utter_form_stopped")
            dropped = [SlotSet(slot, None) for slot in (*_form_slots(domain), "verify_method")]
            return [
                SlotSet("form_exit", None),
                SlotSet("routing", None),
                SlotSet("verified", None),
                *dropped,
                FollowupAction("action_listen"),
            ]
        topic = _topic(tracker)
        if topic in policy.VERIFY_TOPICS and tracker.get_slot("verified") is None:
            method = "app" if topic in policy.NO_EMAIL_CODE_TOPICS else "email"
            return [SlotSet("verify_method", method), FollowupAction("verify_form")]
        if topic == "data_privacy" and tracker.get_slot("verified"):
            return [FollowupAction("privacy_form")]  # export or erasure, actions/privacy.py
        form = DETAIL_FORMS.get(topic)
        needed = policy.HANDOFF_DETAILS.get(topic, ())
        if form and any(tracker.get_slot(slot) is None for slot in needed):
            return [FollowupAction(form)]
        return [FollowupAction("action_handoff")]


class LeavableForm(FormValidationAction, ABC):  # type: ignore[misc]
    """A form the customer can always leave: "a person" hands over with what was collected,
    "stop" / "cancel" (EN/ES/FR) drops the request. Either ends the form at once
    (`requested_slot` None); `action_handoff_next` then carries out the exit."""

    @abstractmethod
    def name(self) -> str:
        """The validation action's name, `validate_<form>`."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = tracker.get_slot("requested_slot")
        text = _text(tracker)
        exit_to = None
        if asked and replies.asks_for_person(text, _lang(tracker)):
            exit_to = PERSON
        elif asked and replies.wants_to_stop(text):
            exit_to = STOP
        if exit_to is None:
            events: list[EventType] = await super().run(dispatcher, tracker, domain)
            return events
        # The words filled the asked slot (from_text): they are not its answer.
        return [
            SlotSet(asked, None),
            SlotSet("form_exit", exit_to),
            SlotSet("requested_slot", None),
        ]


class ValidateTechDetailsForm(LeavableForm):
    """`validate_tech_details_form`: any text is the details; a person or stop leaves."""

    def name(self) -> str:
        return "validate_tech_details_form"


class ActionAskVerificationCode(Action):  # type: ignore[misc]
    """`action_ask_verification_code`: after a wrong code, say so and ask again (no new code
    was sent); otherwise the usual ask."""

    def name(self) -> str:
        return "action_ask_verification_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        left = tracker.get_slot("code_tries_left")
        if left is None:
            dispatcher.utter_message(response="utter_ask_verification_code")
            return []
        dispatcher.utter_message(response="utter_code_wrong", tries_left=int(left))
        return [SlotSet("code_tries_left", None)]


class ValidateVerifyForm(LeavableForm):
    """`validate_verify_form`: the account's email, then the code; "I can't" skips."""

    def name(self) -> str:
        return "validate_verify_form"

    async def validate_account_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _skips(tracker):
            return {"account_email": SKIPPED, "verification_code": SKIPPED, "verified": False}
        found = EMAIL.search(str(value or ""))
        if found is None:
            dispatcher.utter_message(response="utter_email_invalid")
            return {"account_email": None}
        by_app = tracker.get_slot("verify_method") == "app"
        started = await verification.current().start(
            tracker.sender_id, found.group(), _lang(tracker), mail_code=not by_app
        )
        # The same words whether or not an account has this email: nothing is revealed (an
        # unknown address is locked after as many wrong tries as an account).
        if started is Outcome.LOCKED:  # no code can work now: a person verifies instead
            dispatcher.utter_message(response="utter_code_failed")
            return {
                "account_email": found.group().lower(),
                "verification_code": started.value,
                "verified": False,
            }
        return {"account_email": found.group().lower()}

    async def validate_verification_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _skips(tracker):
            dispatcher.utter_message(response="utter_verification_skipped")
            return {"verification_code": SKIPPED, "verified": False}
        digits = "".join(ch for ch in str(value or "") if ch.isdigit())
        check = await verification.current().check(tracker.sender_id, digits)
        if check.outcome is Outcome.VERIFIED:
            dispatcher.utter_message(response="utter_verified")
            return {"verification_code": "ok", "verified": True}
        if check.outcome is Outcome.WRONG:  # the ask that follows says so
            return {"verification_code": None, "code_tries_left": check.tries_left}
        dispatcher.utter_message(response="utter_code_failed")
        return {"verification_code": check.outcome.value, "verified": False}


class ValidateBillingForm(LeavableForm):
    """`validate_billing_form`: when the charge happened and the card's last 4 digits."""

    def name(self) -> str:
        return "validate_billing_form"

    async def validate_transaction_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"transaction_date": str(value).strip()[:80] or None}

    async def validate_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _skips(tracker):
            return {"last4": SKIPPED}
        found = LAST4.search(str(value or ""))
        if found is None:
            dispatcher.utter_message(response="utter_last4_invalid")
            return {"last4": None}
        return {"last4": found.group(1)}


class ValidateCopyrightForm(LeavableForm):
    """`validate_copyright_form`: the content's URL, the ownership claim, a contact email."""

    def name(self) -> str:
        return "validate_copyright_form"

    async def validate_content_url(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = URL.search(str(value or ""))
        if found is None:
            dispatcher.utter_message(response="utter_url_invalid")
            return {"content_url": None}
        return {"content_url": found.group()}

    async def validate_ownership_claim(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"ownership_claim": str(value).strip()[:1000] or None}

    async def validate_contact_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = EMAIL.search(str(value or ""))
        if found is None:
            dispatcher.utter_message(response="utter_email_invalid")
            return {"contact_email": None}
        return {"contact_email": found.group().lower()}
