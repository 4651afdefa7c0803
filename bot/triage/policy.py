"""The support policy's topic table (SUPPORT_POLICY.md §1) as data: the one place it lives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What the bot does with a topic."""

    ANSWER = "answer"
    HANDOFF = "handoff"
    RECORD = "record"
    SMALLTALK = "smalltalk"
    DECLINE = "decline"
    CLARIFY = "clarify"


@dataclass(frozen=True, slots=True)
class Topic:
    """One row of the policy table; queue, tier and priority only for topics handed to people."""

    id: str
    category: str
    action: Action
    queue: str | None = None
    tier: int | None = None
    priority: str | None = None


_A, _H = Action.ANSWER, Action.HANDOFF
TOPICS: dict[str, Topic] = {
    t.id: t
    for t in (
        Topic("greeting", "smalltalk", Action.SMALLTALK),
        Topic("goodbye", "smalltalk", Action.SMALLTALK),
        Topic("thanks", "smalltalk", Action.SMALLTALK),
        Topic("generation_failed", "technical", _A, "support", 2, "normal"),
        Topic("download_hires", "technical", _A, "support", 2, "normal"),
        Topic("charged_twice", "billing", _H, "support", 1, "high"),
        Topic("refund_request", "billing", _H, "support", 1, "normal"),
        Topic("cancel_subscription", "billing", _A, "support", 1, "normal"),
        Topic("payment_fraud", "billing", _H, "urgent", 2, "urgent"),
        Topic("prompt_flagged", "content", _A, "trust", 2, "normal"),
        Topic("copyright_report", "content", _H, "trust", 3, "high"),
        Topic("abuse_report", "content", _H, "trust", 2, "high"),
        Topic("account_hacked", "account_security", _H, "urgent", 2, "urgent"),
        Topic("lost_email_access", "account_security", _H, "support", 2, "high"),
        Topic("password_reset", "account_security", _A, "support", 1, "normal"),
        Topic("service_status", "proactive", _A),
        Topic("contact_info", "info", _A),
        Topic("feedback", "feedback", Action.RECORD),
        Topic("bug_report", "technical", _H, "support", 2, "normal"),
        Topic("complaint", "complaint", _H, "support", 1, "high"),
        Topic("human_request", "handoff", _H, "support", 1, "normal"),
        Topic("data_privacy", "account_security", _H, "support", 2, "normal"),
        Topic("out_of_scope", "other", Action.DECLINE),
    )
}

# Help-centre articles that no single topic brings a customer to (plans, prompt tips).
GENERAL_ARTICLE_TOPIC = "general"
