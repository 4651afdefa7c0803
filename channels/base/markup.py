"""Markdown (the help centre's articles, the assistant's answers) turned into what a surface can
show. Pure: text in, text out.

`to_html` is the one way the desk turns Markdown into HTML: raw HTML in the source is never
passed through (markdown-it with `html` off escapes it), and the result is cleaned once more
by nh3 against a short allow-list, so an article or an answer can never carry script, styles,
event handlers or `javascript:` links into the widget, the help centre or the console.
"""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt

# What answers and articles use; everything else is dropped (its text kept).
ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li"}
    | {"h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@cache
def parser(breaks: bool = False) -> MarkdownIt:
    """The desk's one Markdown reading (CommonMark, tables, raw HTML off): every format of an
    answer starts from its tokens. `breaks`: a line break in a paragraph stays one (`<br>`)."""
    return MarkdownIt("commonmark", {"html": False, "breaks": breaks}).enable("table")


def to_html(markdown: str, *, breaks: bool = False) -> str:
    """Safe HTML for `markdown`; links open without handing the page to the target.

    `breaks` for messages (chat, mail), where a line break someone typed is meant ("Best,\nAnna");
    articles keep CommonMark's reading, where it is only a space."""
    rendered = parser(breaks).render(markdown)
    return nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
