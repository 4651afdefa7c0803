"""The conversation suite's pure parts: scenarios as data, the held-out split, and the matcher
that compares what the desk's REST API returned on a turn with the policy's expectations.

Expectations never quote the bot's sentences. What the desk says is recognised by its source:
each reply is matched to the domain.yml response (and language variation) it came from, and a
response name stands for a kind of turn (answer, clarify, form_prompt...). A hand-off is seen in
the API itself: the turn's `ticket` and the ticket's fields on the agent API."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Kind = Literal[
    "answer",
    "clarify",
    "form_prompt",
    "handoff",
    "decline",
    "notice",
    "record",
    "closing",
    "greeting",
    "fallback",
    "unknown",
]
SPLITS = ("tuning", "heldout")

# What each domain.yml response means for the customer. A name missing here is "unknown", so a
# new response shows up in the report instead of silently counting as something.
KIND_OF: dict[str, Kind] = {
    "utter_greet": "greeting",
    "utter_goodbye": "closing",
    "utter_thanks": "closing",
    "utter_glad": "closing",
    "utter_default": "fallback",
    "utter_kb_no_answer": "fallback",
    "utter_did_that_help": "answer",
    "utter_safety_account_hacked": "answer",
    "utter_safety_payment_fraud": "answer",
    "utter_privacy_export_sent": "answer",
    "utter_privacy_erased": "answer",
    "utter_privacy_kept": "answer",
    "utter_kb_clarify": "clarify",
    "utter_clarify_topic": "clarify",
    "utter_out_of_scope": "decline",
    "utter_feedback_thanks": "record",
    "utter_no_problem": "closing",
    "utter_form_stopped": "closing",
    "utter_language_notice": "notice",
    "utter_code_failed": "handoff",
    "utter_verification_skipped": "handoff",
    "utter_privacy_export_failed": "handoff",
}
FORM_PROMPTS = ("utter_ask_", "utter_code_wrong", "utter_verified", "_invalid")
# When one turn says several things, the most telling one names the turn.
PRIORITY: tuple[Kind, ...] = (
    "notice",
    "decline",
    "clarify",
    "form_prompt",
    "answer",
    "record",
    "closing",
    "greeting",
    "fallback",
)
LINK = re.compile(r"https?://\S+|/help/[a-z]{2}/\S+")
TAG = re.compile(r"<[^>]+>")
MARKDOWN = re.compile(r"\*\*|__|`|\[[^\]]+\]\([^)]+\)|^#+ ", re.MULTILINE)
PLACEHOLDER = re.compile(r"\\\{\w+\\\}")
MIN_LITERAL = 5  # a template part shorter than this identifies nothing


class TicketExpect(BaseModel):
    """The ticket the hand-off opened, as agents see it (GET /api/v1/tickets/{number})."""

    model_config = ConfigDict(extra="forbid")

    topic: str | None = None
    queue: str | None = None
    tier: int | None = None
    priority: str | None = None
    verified: bool | None = None  # routing.verified: proof of ownership before the ticket
    due_hours: float | None = None  # first-response target (policy §2): due_at - created_at


class Expect(BaseModel):
    """What must hold after one turn; every field is optional, absent means not checked."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind | list[Kind] | None = None
    lang: str | None = None  # the language of every recognised reply
    ticket: Literal["none", "any"] | TicketExpect | None = None  # "none": no ticket yet
    contains_link: bool | None = None
    no_markdown: bool | None = None
    says: list[str] = Field(default_factory=list)  # domain.yml responses that must be said
    not_says: list[str] = Field(default_factory=list)  # ...and that must not
    mentions_ticket: bool | None = None  # the ticket number is told to the customer
    mailed_code: bool | None = None  # a verification code was mailed on this turn
    buttons: int | None = None  # at least this many buttons


class Turn(BaseModel):
    """One customer message (text or a button's payload) and what the desk must do with it.
    `{email}`, `{code}`, `{wrong_code}` and `{button1}` (the first button the bot offered last)
    are filled in by the runner; `expire_code` makes the
    mailed code's 10 minutes pass before the message is sent."""

    model_config = ConfigDict(extra="forbid")

    say: str
    expire_code: bool = False
    # Sent only while no ticket is open: details the bot may ask for before handing off, or
    # not (the policy lets a well-run desk decide); `final_ticket` then checks the outcome.
    unless_ticket: bool = False
    expect: Expect = Field(default_factory=Expect)


class Scenario(BaseModel):
    """One fresh conversation, written from SUPPORT_POLICY.md."""

    model_config = ConfigDict(extra="forbid")

    id: str
    lang: str
    topic: str
    split: Literal["tuning", "heldout"]
    policy: str  # the policy section(s) it checks, for whoever reads a failure
    plan: str | None = None  # a signed identity with this plan is sent on every turn
    when: Literal["any", "closed", "open"] = "any"  # business hours it needs (policy §2)
    turns: list[Turn]
    final_ticket: TicketExpect | None = None  # the ticket the conversation must end with


def split_of(scenario_id: str) -> Literal["tuning", "heldout"]:
    """Every third scenario, by a stable hash of its id (adding one never moves another)."""
    digest = int(hashlib.sha256(scenario_id.encode()).hexdigest()[:8], 16)
    return "heldout" if digest % 3 == 0 else "tuning"


def load(folder: Path) -> list[Scenario]:
    """Every scenario of `folder`/*.yml, in file then document order."""
    found: list[Scenario] = []
    for path in sorted(folder.glob("*.yml")):
        found += [Scenario.model_validate(item) for item in yaml.safe_load(path.read_text())]
    return found


@dataclass(frozen=True)
class Template:
    """One language variation of a domain.yml response, as a pattern over a reply's text."""

    name: str
    lang: str
    pattern: re.Pattern[str]


def templates(domain: dict[str, Any]) -> list[Template]:
    """A pattern per response variation: its most distinctive paragraph, `{slots}` as wildcards
    (the REST channel may send each paragraph of a response as its own reply)."""
    found = []
    for name, variations in domain["responses"].items():
        for variation in variations:
            values = [c["value"] for c in variation.get("condition", []) if c.get("name") == "lang"]
            lang = values[0] if values else "en"
            parts = [p.strip() for p in str(variation.get("text", "")).split("\n\n")]
            best = max(parts, key=lambda p: len(re.sub(r"\{\w+\}", "", p)))
            if len(re.sub(r"\{\w+\}", "", best)) < MIN_LITERAL:
                continue
            body = PLACEHOLDER.sub(".*?", re.escape(" ".join(best.split())))
            found.append(Template(name, lang, re.compile(body, re.DOTALL)))
    # Longer patterns first: a short response's words may occur inside a longer one.
    return sorted(found, key=lambda t: -len(t.pattern.pattern))


def recognise(texts: list[str], known: list[Template]) -> list[tuple[str, str]]:
    """(response, lang) of each reply that a template accounts for, in reply order."""
    said = []
    for text in texts:
        flat = " ".join(text.split())
        for template in known:
            if template.pattern.search(flat):
                said.append((template.name, template.lang))
                break
    return said


def kind_of_response(name: str) -> Kind:
    """The kind of turn a domain.yml response stands for."""
    if name in KIND_OF:
        return KIND_OF[name]
    return "form_prompt" if any(marker in name for marker in FORM_PROMPTS) else "unknown"


@dataclass
class Observed:
    """What the API returned on one turn, plus the ticket's fields if it opened one."""

    lang: str
    texts: list[str]
    buttons: list[str]  # payloads
    said: list[tuple[str, str]]
    ticket: str | None  # the conversation's ticket after this turn
    new_ticket: bool  # the ticket was opened on this turn
    ticket_fields: dict[str, Any] = field(default_factory=dict)
    mailed_code: bool = False
    shown: list[str] = field(default_factory=list)  # each reply's `html`: what a page shows

    @property
    def displayed(self) -> list[str]:
        """The words a page shows for each reply: its HTML without the tags (the API's `text`
        is Markdown by contract; rendered, none of it may show as written)."""
        return [html.unescape(TAG.sub("", shown)) for shown in self.shown]

    @property
    def kind(self) -> Kind:
        """A hand-off is a ticket opened now; otherwise the most telling thing said."""
        if self.new_ticket:
            return "handoff"
        kinds = {kind_of_response(name) for name, _ in self.said}
        if any(LINK.search(text) for text in self.texts):
            kinds.add("answer")
        return next((k for k in PRIORITY if k in kinds), "unknown")


def _check_ticket(expected: TicketExpect, observed: Observed) -> list[str]:
    fields = observed.ticket_fields
    routing = fields.get("routing") or {}
    actual: dict[str, Any] = {
        "topic": fields.get("topic"),
        "queue": fields.get("queue"),
        "tier": fields.get("tier"),
        "priority": fields.get("priority"),
        "verified": routing.get("verified"),
        "due_hours": fields.get("due_hours"),
    }
    return [
        f"ticket.{name}: expected {want!r}, got {actual[name]!r}"
        for name, want in expected.model_dump(exclude_none=True).items()
        if actual[name] != want
    ]


def check_final(expected: TicketExpect, observed: Observed) -> list[str]:
    """Every way the conversation's last state misses the ticket it must end with."""
    if observed.ticket is None:
        return ["final ticket: expected one, got none"]
    return [f"final {failure}" for failure in _check_ticket(expected, observed)]


def check(expect: Expect, observed: Observed) -> list[str]:
    """Every way `observed` misses `expect` (empty: the turn passed)."""
    failures = []
    kinds = [expect.kind] if isinstance(expect.kind, str) else expect.kind
    if kinds and observed.kind not in kinds:
        failures.append(f"kind: expected {' or '.join(kinds)}, got {observed.kind}")
    if expect.lang is not None:
        # The language the bot answered in: its recognised replies' (the API's `lang` is the
        # customer's, e.g. "de" for a notice that must be in English), else the API's.
        langs = {lang for _, lang in observed.said} or {observed.lang}
        if langs != {expect.lang}:
            failures.append(f"lang: expected {expect.lang}, got {sorted(langs)}")
    if expect.ticket == "none":
        if observed.ticket is not None:
            failures.append(f"ticket: expected none, got {observed.ticket}")
    elif expect.ticket is not None and observed.ticket is None:
        failures.append("ticket: expected one, got none")
    elif isinstance(expect.ticket, TicketExpect):
        failures += _check_ticket(expect.ticket, observed)
    if expect.contains_link is not None:
        linked = any(LINK.search(text) for text in observed.texts)
        if linked != expect.contains_link:
            failures.append(f"contains_link: expected {expect.contains_link}, got {linked}")
    if expect.no_markdown and any(MARKDOWN.search(text) for text in observed.displayed):
        failures.append("no_markdown: a reply shows Markdown as written")
    said = {name for name, _ in observed.said}
    failures += [f"says: {name} not said" for name in expect.says if name not in said]
    failures += [f"not_says: {name} said" for name in expect.not_says if name in said]
    if expect.mentions_ticket is not None:
        told = observed.ticket is not None and any(observed.ticket in t for t in observed.texts)
        if told != expect.mentions_ticket:
            failures.append(f"mentions_ticket: expected {expect.mentions_ticket}, got {told}")
    if expect.mailed_code is not None and observed.mailed_code != expect.mailed_code:
        failures.append(f"mailed_code: expected {expect.mailed_code}, got {observed.mailed_code}")
    if expect.buttons is not None and len(observed.buttons) < expect.buttons:
        failures.append(f"buttons: expected at least {expect.buttons}, got {observed.buttons}")
    return failures
