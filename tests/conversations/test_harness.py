"""The conversation suite's own machinery, without a desk: the scenarios load and keep their
held-out split, replies are recognised from domain.yml, and the matcher fails what it must."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from tests.conversations import harness
from tests.conversations.report import rates

DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
KNOWN = harness.templates(DOMAIN)
SCENARIOS = harness.load(Path(__file__).parent / "scenarios")


def text_of(name: str, lang: str, **slots: str) -> str:
    """The domain.yml text of `name` in `lang`, slots filled as Rasa fills them."""
    for variation in DOMAIN["responses"][name]:
        values = [c["value"] for c in variation.get("condition", [])]
        if values == [lang] or (not values and lang == "en"):
            return str(variation["text"]).format(**slots)
    raise AssertionError(f"no {name} in {lang}")


def observed(**overrides: Any) -> harness.Observed:
    base: dict[str, Any] = {
        "lang": "en",
        "texts": [],
        "buttons": [],
        "said": [],
        "ticket": None,
        "new_ticket": False,
    }
    return harness.Observed(**{**base, **overrides})


def test_every_language_has_twenty_scenarios_with_unique_ids() -> None:
    counts = Counter(s.lang for s in SCENARIOS)
    assert set(counts) == {"en", "es", "fr"}
    assert min(counts.values()) >= 20, counts
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)


def test_the_held_out_split_is_the_hash_of_the_id() -> None:
    assert [s.split for s in SCENARIOS] == [harness.split_of(s.id) for s in SCENARIOS]
    for lang in ("en", "es", "fr"):
        mine = [s for s in SCENARIOS if s.lang == lang]
        share = sum(s.split == "heldout" for s in mine) / len(mine)
        assert 0.2 <= share <= 0.45, (lang, share)  # about every third, in every language


def test_the_split_is_stable() -> None:
    # Pinned: a changed hash would silently move scenarios between tuning and held-out.
    assert harness.split_of("en-data-privacy-code-expired") == "heldout"
    assert harness.split_of("en-complaint") == "tuning"


def test_scenarios_name_only_responses_the_domain_has() -> None:
    named = {
        name
        for s in SCENARIOS
        for turn in s.turns
        for name in (*turn.expect.says, *turn.expect.not_says)
    }
    assert named <= set(DOMAIN["responses"]), named - set(DOMAIN["responses"])


def test_every_domain_response_has_a_kind() -> None:
    unknown = [n for n in DOMAIN["responses"] if harness.kind_of_response(n) == "unknown"]
    assert unknown == []


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_replies_are_recognised_with_their_language(lang: str) -> None:
    texts = [
        text_of("utter_code_wrong", lang, tries_left="4"),
        text_of("utter_ask_account_email", lang),
    ]
    assert harness.recognise(texts, KNOWN) == [
        ("utter_code_wrong", lang),
        ("utter_ask_account_email", lang),
    ]


def test_a_help_centre_answer_then_did_that_help_is_an_answer() -> None:
    answer = "Ve a **Ajustes**.\n \n[Restablecer la contraseña](http://desk.test/help/es/a)"
    seen = observed(lang="es", texts=[answer, text_of("utter_did_that_help", "es")])
    seen.said = harness.recognise(seen.texts, KNOWN)
    assert ("utter_did_that_help", "es") in seen.said
    assert seen.kind == "answer"
    assert harness.check(harness.Expect(kind="answer", lang="es", contains_link=True), seen) == []


def test_a_ticket_opened_on_the_turn_is_a_handoff_and_its_fields_are_checked() -> None:
    fields = {"topic": "billing", "queue": "support", "tier": 1, "priority": "high"}
    seen = observed(ticket="IMG-000001", new_ticket=True, ticket_fields=fields)
    assert seen.kind == "handoff"
    wanted = harness.TicketExpect(topic="charged_twice", queue="support")
    assert harness.check(harness.Expect(kind="handoff", ticket=wanted), seen) == [
        "ticket.topic: expected 'charged_twice', got 'billing'"
    ]
    # The same ticket on a later turn is no new hand-off.
    assert observed(ticket="IMG-000001", new_ticket=False).kind == "unknown"


def test_the_matcher_reports_each_miss() -> None:
    seen = observed(
        lang="en",
        texts=["**Hi** see https://imageko.com/help"],
        shown=["<p>**Hi** see <a>x</a></p>"],  # a renderer that left the Markdown
        said=[("utter_clarify_topic", "fr")],
        ticket="IMG-1",
    )
    assert seen.kind == "clarify"  # a question beats the link it came with
    failures = harness.check(
        harness.Expect(
            kind="answer",
            lang="en",
            ticket="none",
            contains_link=False,
            no_markdown=True,
            says=["utter_code_wrong"],
            not_says=["utter_clarify_topic"],
            mentions_ticket=True,
            mailed_code=True,
            buttons=2,
        ),
        seen,
    )
    assert [f.split(":")[0] for f in failures] == [
        "kind",
        "lang",
        "ticket",
        "contains_link",
        "no_markdown",
        "says",
        "not_says",
        "mentions_ticket",
        "mailed_code",
        "buttons",
    ]


def test_an_unknown_expectation_is_refused() -> None:
    with pytest.raises(ValueError, match="contains_lnk"):
        harness.Expect.model_validate({"contains_lnk": True})


def test_rates_count_per_language_and_split_and_leave_out_skipped() -> None:
    results = [
        {"lang": "en", "split": "tuning", "status": "passed"},
        {"lang": "en", "split": "heldout", "status": "failed"},
        {"lang": "es", "split": "tuning", "status": "skipped"},
    ]
    found = rates(results)
    assert found["en"]["tuning"] == {"passed": 1, "run": 1}
    assert found["all"]["all"] == {"passed": 1, "run": 2}
    assert "es" not in found


def test_no_ticket_wanted_and_none_opened_passes_in_the_reply_language() -> None:
    # The API's `lang` is the customer's (German here); the notice itself must be English.
    seen = observed(lang="de", said=[("utter_language_notice", "en")])
    assert harness.check(harness.Expect(kind="notice", lang="en", ticket="none"), seen) == []
    assert harness.check(harness.Expect(lang="de"), seen) == ["lang: expected de, got ['en']"]


def test_the_final_ticket_is_required_and_checked() -> None:
    wanted = harness.TicketExpect(topic="refund_request", verified=True)
    assert harness.check_final(wanted, observed()) == ["final ticket: expected one, got none"]
    fields = {"topic": "refund_request", "routing": {"verified": False}}
    seen = observed(ticket="IMG-2", ticket_fields=fields)
    assert harness.check_final(wanted, seen) == ["final ticket.verified: expected True, got False"]
