"""Markdown to safe HTML: what answers and articles use survives, nothing executable does."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from channels.base.markup import to_html


def test_what_articles_use_is_rendered() -> None:
    html = to_html(
        "Open **Library**, then *Download*.\n\n1. one\n2. two\n\n[Help](https://imageko.com/help)"
    )
    assert "<strong>Library</strong>" in html
    assert "<em>Download</em>" in html
    assert "<ol>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://imageko.com/help" rel="noopener noreferrer nofollow">Help</a>' in html


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="https://x.example" onclick="alert(1)">x</a>',
        "<style>body{display:none}</style>",
        "![pixel](https://tracker.example/p.gif)",
        '<iframe src="https://evil.example"></iframe>',
    ],
)
def test_nothing_executable_or_embedded_gets_through(markdown: str) -> None:
    elements = Elements(to_html(markdown)).found
    assert {tag for tag, _ in elements} <= {"p", "a"}
    for _, attrs in elements:
        assert not [name for name in attrs if name.startswith("on") or name in ("src", "style")]
        assert not (attrs.get("href") or "https:").lower().startswith(("javascript:", "data:"))


def test_raw_html_is_shown_as_text_not_dropped() -> None:
    # A customer-facing answer that quotes markup shows it, escaped.
    assert "&lt;b&gt;bold&lt;/b&gt;" in to_html("type <b>bold</b>")


def test_messages_keep_typed_line_breaks_articles_do_not() -> None:
    assert to_html("Best,\nAnna", breaks=True) == "<p>Best,<br>\nAnna</p>\n"
    assert to_html("Best,\nAnna") == "<p>Best,\nAnna</p>\n"
