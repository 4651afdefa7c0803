"""One Markdown answer in each platform's own form (pure): Telegram HTML, Slack mrkdwn and plain
text with bare links (X, Messenger, Instagram, an email's text part).

Every format is a walk over markdown-it's syntax tree, read by `markup.parser` exactly as
`markup.to_html` reads it, so an answer means the same everywhere. Raw HTML in the source is
text (the parser has HTML off) and is escaped as each format asks; a link becomes a link only
when its scheme is in `markup.URL_SCHEMES`, else its text is shown alone.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from markdown_it.tree import SyntaxTreeNode

from channels.base.markup import URL_SCHEMES, parser
from channels.base.text import split_text

BULLET = "• "
RULE = "———"


@dataclass(frozen=True, slots=True)
class Style:
    """How one format writes each kind of Markdown node; `escape` makes written text inert."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]
    italic: Callable[[str], str]
    code: Callable[[str], str]  # inline code, its text not yet escaped
    pre: Callable[[str], str]  # a code block, its text not yet escaped
    quote: Callable[[str], str]  # a rendered block
    # (rendered text, the text as plain words, the URL) -> the link
    link: Callable[[str, str, str], str]
    bullet: str = BULLET


def safe_url(url: str) -> bool:
    """Whether `url` may become a link: an absolute http(s) or mailto address."""
    return urlsplit(url.strip()).scheme.lower() in URL_SCHEMES


def _words(node: SyntaxTreeNode) -> str:
    """The plain text of an inline node and everything under it."""
    if node.type in ("text", "code_inline"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return "\n"
    return "".join(_words(child) for child in node.children)


def _inline(node: SyntaxTreeNode, style: Style) -> str:
    inner = "".join(_inline(child, style) for child in node.children)
    match node.type:
        case "text":
            return style.escape(node.content)
        case "softbreak" | "hardbreak":
            return "\n"
        case "code_inline":
            return style.code(node.content)
        case "strong":
            return style.bold(inner)
        case "em":
            return style.italic(inner)
        case "link" | "image":
            url = str(node.attrs.get("href") or node.attrs.get("src") or "")
            return style.link(inner, _words(node) or url, url) if safe_url(url) else inner
    return inner


def _indent(text: str, width: int) -> str:
    """Continuation lines of a list item under its first line's text."""
    return text.replace("\n", "\n" + " " * width)


def _block(node: SyntaxTreeNode, style: Style) -> str:
    match node.type:
        case "inline":
            return _inline(node, style)
        case "heading":
            return style.bold(_blocks(node, style, "\n"))
        case "bullet_list" | "ordered_list":
            start = int(str(node.attrs.get("start", 1)))
            lines = []
            for n, item in enumerate(node.children, start=start):
                mark = style.bullet if node.type == "bullet_list" else f"{n}. "
                lines.append(mark + _indent(_blocks(item, style, "\n"), len(mark)))
            return "\n".join(lines)
        case "blockquote":
            return style.quote(_blocks(node, style, "\n\n"))
        case "fence" | "code_block":
            return style.pre(node.content.rstrip("\n"))
        case "hr":
            return RULE
        case "tr":
            return " | ".join(_blocks(cell, style, " ") for cell in node.children)
        case "table" | "thead" | "tbody":
            return _blocks(node, style, "\n")
    return _blocks(node, style, "\n\n")


def _blocks(node: SyntaxTreeNode, style: Style, joint: str) -> str:
    return joint.join(part for child in node.children if (part := _block(child, style)))


def render(markdown: str, style: Style) -> str:
    """`markdown` written in `style`, blocks apart by a blank line."""
    return _block(SyntaxTreeNode(parser().parse(markdown)), style).strip()


def _telegram_link(inner: str, text: str, url: str) -> str:
    return f'<a href="{html.escape(url.strip(), quote=True)}">{inner}</a>'


def _telegram_escape(text: str) -> str:
    return html.escape(text, quote=False)


# Only tags Telegram's HTML parse mode knows; everything written is escaped (& < >).
TELEGRAM = Style(
    escape=_telegram_escape,
    bold=lambda s: f"<b>{s}</b>",
    italic=lambda s: f"<i>{s}</i>",
    code=lambda s: f"<code>{_telegram_escape(s)}</code>",
    pre=lambda s: f"<pre>{_telegram_escape(s)}</pre>",
    quote=lambda s: f"<blockquote>{s}</blockquote>",
    link=_telegram_link,
)


def slack_escape(text: str) -> str:
    """`text` as mrkdwn that shows it as written (Slack's three escapes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(inner: str, text: str, url: str) -> str:
    # "|" ends the URL part of `<url|text>`; percent-encoded it is the same address.
    return f"<{slack_escape(url.strip()).replace('|', '%7C')}|{inner}>"


SLACK = Style(
    escape=slack_escape,
    bold=lambda s: f"*{s}*",
    italic=lambda s: f"_{s}_",
    code=lambda s: f"`{slack_escape(s)}`",
    pre=lambda s: f"```\n{slack_escape(s)}\n```",
    quote=lambda s: "\n".join("> " + line for line in s.split("\n")),
    link=_slack_link,
)


def _plain_link(inner: str, text: str, url: str) -> str:
    shown = url.strip().removeprefix("mailto:")
    # An autolink or an address written out says it all; else the address follows the words.
    return shown if text.strip() == shown else f"{inner} ({shown})"


def _same(text: str) -> str:
    return text


PLAIN = Style(
    escape=_same,
    bold=_same,
    italic=_same,
    code=_same,
    pre=_same,
    quote=lambda s: "\n".join("> " + line for line in s.split("\n")),
    link=_plain_link,
    bullet="- ",
)


def telegram_html(markdown: str) -> str:
    """`markdown` for Telegram's `parse_mode=HTML`."""
    return render(markdown, TELEGRAM)


def slack_mrkdwn(markdown: str) -> str:
    """`markdown` as Slack mrkdwn."""
    return render(markdown, SLACK)


def plain_text(markdown: str) -> str:
    """`markdown` as plain text: no markup, links as "text (url)" (or the bare URL)."""
    return render(markdown, PLAIN)


def parts(
    markdown: str, limit: int, form: Callable[[str], str], length: Callable[[str], int] = len
) -> list[str]:
    """`markdown` in `form`, in messages of at most `limit` by `length`. Markup cannot be cut
    safely, so a long source is cut first (at paragraph, line or word breaks), smaller by as
    much as formatting grows it, and each part is formatted on its own."""
    whole = form(markdown)
    if length(whole) <= limit:
        return [whole] if whole else []
    source = markdown.strip()
    smaller = max(1, min(limit, limit * length(source) // length(whole)))
    pieces = split_text(source, smaller, length=length)
    if pieces == [source]:  # nothing left to cut in the source: cut the formatted text
        return split_text(whole, limit, length=length)
    return [part for piece in pieces for part in parts(piece, limit, form, length)]
