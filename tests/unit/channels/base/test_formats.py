"""One Markdown answer in each platform's form: what it means survives, nothing else does."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from channels.base.formats import parts, plain_text, slack_mrkdwn, telegram_html
from channels.base.text import utf16_len

ANSWER = (
    "Open **Library**, then *Download* `a<b`.\n\n"
    "- one\n- two\n\n1. first\n2. second\n\n"
    "[Download your images](https://imageko.com/help/en/bulk-download?a=1&b=2)"
)
FORMATS = [telegram_html, slack_mrkdwn, plain_text]
INJECTIONS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](  JavaScript:alert(1) )",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
]


def test_telegram_uses_only_its_own_tags_and_escapes_the_rest() -> None:
    assert telegram_html(ANSWER) == (
        "Open <b>Library</b>, then <i>Download</i> <code>a&lt;b</code>.\n\n"
        "• one\n• two\n\n1. first\n2. second\n\n"
        '<a href="https://imageko.com/help/en/bulk-download?a=1&amp;b=2">Download your images</a>'
    )


def test_slack_gets_mrkdwn() -> None:
    assert slack_mrkdwn(ANSWER) == (
        "Open *Library*, then _Download_ `a&lt;b`.\n\n"
        "• one\n• two\n\n1. first\n2. second\n\n"
        "<https://imageko.com/help/en/bulk-download?a=1&amp;b=2|Download your images>"
    )


def test_plain_text_keeps_words_lists_and_bare_links() -> None:
    assert plain_text(ANSWER) == (
        "Open Library, then Download a<b.\n\n"
        "- one\n- two\n\n1. first\n2. second\n\n"
        "Download your images (https://imageko.com/help/en/bulk-download?a=1&b=2)"
    )


def test_a_link_whose_text_is_its_address_is_the_address_alone() -> None:
    assert plain_text("<https://imageko.com/help>") == "https://imageko.com/help"
    assert plain_text("Write to <urgent@imageko.com>.") == "Write to urgent@imageko.com."
    assert plain_text("[us](mailto:urgent@imageko.com)") == "us (urgent@imageko.com)"


def test_headings_quotes_code_blocks_nested_lists_and_tables() -> None:
    markdown = (
        "## Steps\n\n> Careful **now**\n\n```\n<b>*x*</b>\n```\n\n"
        "3. a\n   - inner\n4. b\n\n| Plan | Credits |\n|---|---|\n| Pro | 500 |"
    )
    assert telegram_html(markdown) == (
        "<b>Steps</b>\n\n<blockquote>Careful <b>now</b></blockquote>\n\n"
        "<pre>&lt;b&gt;*x*&lt;/b&gt;</pre>\n\n3. a\n   • inner\n4. b\n\nPlan | Credits\nPro | 500"
    )
    assert plain_text(markdown) == (
        "Steps\n\n> Careful now\n\n<b>*x*</b>\n\n3. a\n   - inner\n4. b\n\n"
        "Plan | Credits\nPro | 500"
    )
    assert slack_mrkdwn("> one\n> two") == "> one\n> two"


@pytest.mark.parametrize("form", FORMATS)
@pytest.mark.parametrize("markdown", INJECTIONS)
def test_raw_html_stays_text_and_unsafe_links_never_become_links(
    form: Callable[[str], str], markdown: str
) -> None:
    out = form(markdown)
    assert "<a " not in out  # no Telegram link
    assert "|x>" not in out  # no Slack link
    assert "(javascript" not in out.lower().replace("](", "")  # no plain "text (url)" link
    if form is not plain_text:  # HTML and mrkdwn show it escaped; plain text as written
        assert "<script" not in out
        assert "<img" not in out
        assert "<javascript" not in out.lower()


def test_a_slack_link_cannot_be_bent_by_its_address_or_text() -> None:
    assert slack_mrkdwn("[a|b](https://x.test/p|q) <!channel>") == (
        "<https://x.test/p%7Cq|a|b> &lt;!channel&gt;"
    )


@pytest.mark.parametrize("form", FORMATS)
def test_emoji_and_right_to_left_text_pass_unchanged(form: Callable[[str], str]) -> None:
    text = "مرحبا **بكم** 👩🏽‍💻 🇫🇷 שלום"
    assert form(text).replace("<b>", "").replace("</b>", "").replace("*", "") == (
        "مرحبا بكم 👩🏽‍💻 🇫🇷 שלום"
    )


@pytest.mark.parametrize("form", FORMATS)
def test_no_format_leaves_markdown_markup(form: Callable[[str], str]) -> None:
    out = form(ANSWER + "\n\n**Library** [Help](https://imageko.com/help)")
    assert "**" not in out
    assert "](" not in out


def test_long_markdown_is_cut_before_formatting_so_no_part_breaks_its_markup() -> None:
    paragraph = "Open **Library** and read [the guide](https://imageko.com/help). " * 20
    markdown = "\n\n".join([paragraph] * 6)
    sent = parts(markdown, 4096, telegram_html, utf16_len)
    assert len(sent) >= 2
    for part in sent:
        assert utf16_len(part) <= 4096
        assert part.count("<b>") == part.count("</b>")
        assert part.count("<a ") == part.count("</a>")
        assert "**" not in part
    assert parts("   ", 10, plain_text) == []
    assert parts("**hi**", 10, plain_text) == ["hi"]
