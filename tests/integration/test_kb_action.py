"""`action_kb_answer` through the hub's action endpoint, on the real help-centre index."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.kb.index import current_build
from bot.kb.paths import INDEX_DIR
from tests.integration.test_actions import RASA, action_call

pytestmark = pytest.mark.skipif(
    current_build(INDEX_DIR) is None, reason="no help-centre index: `make kb` builds it"
)


async def run_kb(
    client: httpx.AsyncClient, text: str, lang: str, entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    call = action_call("action_kb_answer", {"lang": lang}, {"lang": lang})
    call["tracker"]["latest_message"].update(
        {"text": text, "entities": entities or [], "intent": {"name": "nlu_fallback"}}
    )
    response = await client.post("/webhook", json=call, headers=RASA)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def slots(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("how do I download my images in full resolution?", "en"),
        ("comment télécharger mes images en haute résolution ?", "fr"),
    ],
)
async def test_a_clear_question_is_answered_with_the_article_in_its_language(
    client: httpx.AsyncClient, text: str, lang: str
) -> None:
    # Questions reach the help centre through action_route, which knows the NLU's topic.
    call = action_call("action_route", {"lang": lang}, {"lang": lang})
    call["tracker"]["latest_message"].update(
        {"text": text, "intent": {"name": "download_hires", "confidence": 0.95}}
    )
    result = (await client.post("/webhook", json=call, headers=RASA)).json()
    answer, question = result["responses"]
    # One Markdown message, which Rasa's REST channel will not cut at blank lines: the
    # section first, then a real link to the article.
    assert "\n\n" not in answer["text"]
    assert answer["text"].endswith(f"/help/{lang}/download-hires)")
    assert len(answer["text"].split("[")[0]) > 40  # the section itself comes first
    assert question["response"] == "utter_did_that_help"


async def test_an_off_topic_question_is_passed_on(client: httpx.AsyncClient) -> None:
    result = await run_kb(client, "what is the capital of peru", "en")
    assert [r["response"] for r in result["responses"]] == ["utter_kb_no_answer"]
    assert slots(result)["kb_outcome"] == "none"


async def test_emoji_only_is_passed_on_without_error(client: httpx.AsyncClient) -> None:
    result = await run_kb(client, "🔥🔥🔥", "es")
    assert slots(result)["kb_outcome"] == "none"


async def test_a_picked_suggestion_is_answered_directly(client: httpx.AsyncClient) -> None:
    picked = [{"entity": "article_id", "value": "refund-policy"}]
    result = await run_kb(client, '/kb_pick{"article_id":"refund-policy"}', "es", picked)
    reply, asked = result["responses"]
    assert reply["text"].endswith("/help/es/refund-policy)")
    # The pick is an answer like any other: "did that help?", its topic kept for a "no".
    assert asked["response"] == "utter_did_that_help"
    assert slots(result)["awaiting_feedback"] is True
    assert slots(result)["routing"]["topic"] == "refund_request"


async def test_clarify_offers_the_best_articles_as_buttons(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.kb import service

    config = service.retriever().config
    monkeypatch.setattr(config, "answer_threshold", 1.01)  # force the in-between band
    monkeypatch.setattr(config, "clarify_threshold", 0.0)
    result = await run_kb(client, "I was charged twice this month", "en")
    (reply,) = result["responses"]
    assert reply["response"] == "utter_kb_clarify"
    assert 2 <= len(reply["buttons"]) <= 3
    assert all(b["payload"].startswith('/kb_pick{"article_id":') for b in reply["buttons"])
    assert slots(result)["kb_outcome"] == "clarify"
