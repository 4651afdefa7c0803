"""Rasa's Redis tracker store, redacted: what Rasa keeps of a conversation (a week, in Redis)
holds no card number, password, one-time code or API key.

Rasa works on the tracker in memory for the whole turn (the action that checks a verification
code reads the code as typed) and saves it once at the end; this store redacts a copy of the
tracker on the way to Redis, every event of it — user text, parse data, metadata, slot values,
bot messages and their custom payloads — with the hub's own `bot.security.redact`. Events read
back are already redacted, and redacting them again changes nothing, so Rasa's merge of the
stored and the new events sees the same history.

A user message typed while a form asks for one of `secret_slots` (the verification code) is
an answer to that question: any 4–8 digit group in it is a code, with or without a code word.

endpoints.yml: `tracker_store: {type: rasa_addons.tracker_store.RedactingRedisTrackerStore,
secret_slots: [verification_code], …the RedisTrackerStore settings}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker

from bot.security.redact import redact_data

REQUESTED_SLOT = "requested_slot"


def redacted_events(
    events: Iterable[dict[str, Any]], secret_slots: frozenset[str]
) -> list[dict[str, Any]]:
    """Serialised events with every string redacted; a code is expected in what the user says
    while a secret slot is requested, and in that slot's values."""
    requested: str | None = None
    kept = []
    for event in events:
        kind = event.get("event")
        expecting = (kind == "user" and requested in secret_slots) or (
            kind == "slot" and event.get("name") in secret_slots
        )
        kept.append(redact_data(event, code_expected=expecting))
        if kind == "slot" and event.get("name") == REQUESTED_SLOT:
            requested = event.get("value")
    return kept


class RedactingRedisTrackerStore(RedisTrackerStore):
    """`RedisTrackerStore` that saves a redacted copy of each tracker."""

    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        secret_slots: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.secret_slots = frozenset(secret_slots or ())
        super().__init__(domain, host=host, **kwargs)

    def redacted(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """A copy of `tracker` whose events are redacted (the original is left as it is)."""
        copy = tracker.init_copy()
        events = redacted_events((e.as_dict() for e in tracker.events), self.secret_slots)
        for event in deserialise_events(events):
            copy.update(event)
        return copy

    async def save(
        self,
        tracker: DialogueStateTracker,
        timeout: float | None = None,  # noqa: ASYNC109 - Rasa's signature: the key's expiry
    ) -> None:
        """Save the redacted copy; Rasa goes on with the tracker as it was."""
        await super().save(self.redacted(tracker), timeout)
