"""The assistant's answer from an article: one Markdown message, short answer then the link."""

from __future__ import annotations

import pytest

from bot.kb.reply import ELLIPSIS, compose, link, short_answer
from bot.kb.retriever import SNIPPET_CHARS, Hit
from channels.base.formats import plain_text, slack_mrkdwn, telegram_html
from channels.base.markup import to_html

SECTION = (
    "If you think someone else is using your account, act at once.\n\n"
    "- Images in your **Library** that you did not create.\n"
    "- Credits used up faster than you expected.\n\n"
    "Then write to urgent@imageko.com."
)


def hit(snippet: str = SECTION, title: str = "What to do if your account has been hacked") -> Hit:
    return Hit(
        "account-hacked", "en", title, None, snippet, "/help/en/account-hacked", "hacked", 0.9
    )


def rasa_parts(text: str) -> list[str]:
    """What Rasa's CollectingOutputChannel.send_text_message makes of a text: one message
    per part between blank lines."""
    return text.strip().split("\n\n")


def test_the_answer_is_one_message_short_answer_first_then_the_article_link() -> None:
    answer = compose(hit(), "https://imageko.com/")
    assert rasa_parts(answer) == [answer]
    assert answer.startswith("If you think someone else")
    assert answer.endswith(
        "[What to do if your account has been hacked](https://imageko.com/help/en/account-hacked)"
    )
    assert "More:" not in answer


def test_the_answer_keeps_its_paragraphs_and_list_in_every_form() -> None:
    answer = compose(hit(), "https://imageko.com")
    html = to_html(answer)
    assert html.count("<p>") == 3
    assert "<li>Images in your <strong>Library</strong> that you did not create.</li>" in html
    assert (
        '<a href="https://imageko.com/help/en/account-hacked" rel="noopener noreferrer nofollow">'
        "What to do if your account has been hacked</a>"
    ) in html
    for form in (plain_text, slack_mrkdwn, telegram_html):
        shown = form(answer)
        assert "**" not in shown
        assert "](" not in shown
        assert "\n\n- Images" in shown or "\n\n• Images" in shown
    assert plain_text(answer).endswith(
        "What to do if your account has been hacked (https://imageko.com/help/en/account-hacked)"
    )


def test_a_title_that_looks_like_markup_is_the_links_text_as_written() -> None:
    markdown = link("Plans [*Pro*] & <Team>", "https://imageko.com/help/en/plans#pro team")
    assert plain_text(markdown) == (
        "Plans [*Pro*] & <Team> (https://imageko.com/help/en/plans#pro%20team)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short and whole.", "Short and whole."),
        ("- one **bold** line\n- " + "x" * SNIPPET_CHARS, "- one **bold** line"),
        ("First sentence. Then **bold and " + "y " * SNIPPET_CHARS, "First sentence."),
    ],
)
def test_a_long_section_is_cut_where_its_markdown_stays_whole(text: str, expected: str) -> None:
    assert short_answer(text) == expected


def test_a_section_without_breaks_is_cut_between_words() -> None:
    cut = short_answer("word " * SNIPPET_CHARS)
    assert cut.endswith("word" + ELLIPSIS)
    assert len(cut) <= SNIPPET_CHARS
    assert short_answer("x" * (SNIPPET_CHARS + 5)) == "x" * (SNIPPET_CHARS - 1) + ELLIPSIS
