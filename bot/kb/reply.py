"""The assistant's answer from a help-centre article, composed once as one Markdown message
(pure): the short answer first, then a real link to the article (`[title](url)`).

Rasa's REST channel (`CollectingOutputChannel.send_text_message`) cuts a text at every "\\n\\n"
into separate messages, which the customer would get as several bubbles. A Markdown blank line
may hold spaces (CommonMark: "a line containing only spaces or tabs"), so the answer's blocks
are kept apart by "\\n \\n": the same Markdown to every renderer, one message through Rasa.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.kb.retriever import SNIPPET_CHARS, Hit

BLANK_LINE = "\n \n"  # a Markdown blank line that Rasa does not cut at
ELLIPSIS = "…"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# What would read as Markdown in an article's title, shown as the link's text.
_MARKUP = re.compile(r"([\\`*_\[\]<>!#|~])")
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")
# Kept as they are in a link's address; spaces, brackets, parentheses and quotes are encoded.
_URL_SAFE = ":/?#&=+%~-._!$,;@"


def short_answer(text: str, limit: int = SNIPPET_CHARS) -> str:
    """`text` within `limit` characters, cut where the Markdown stays whole: after the last
    complete line, else sentence, else word (with an ellipsis). A cut mid-line could leave a
    dangling `**` or `[` that every channel would then show as written."""
    text = text.strip()
    if len(text) < limit:
        return text  # whole: the retriever cuts at `limit`, so a text this long may be cut
    head = text[:limit]
    if text[limit : limit + 1] == "\n":
        return head.rstrip()  # the cut fell at a line's end
    if "\n" in head:
        return head[: head.rindex("\n")].rstrip()
    sentences = [m.end() for m in _SENTENCE_END.finditer(head)]
    if sentences:
        return head[: sentences[-1]]
    words = head.rsplit(None, 1)[0] if " " in head else head[: limit - 1]
    return words.rstrip() + ELLIPSIS


def link(title: str, url: str) -> str:
    """A Markdown link whose text is `title` as written, to `url` kept in one piece."""
    text = _MARKUP.sub(r"\\\1", title)
    return f"[{text}]({quote(url, safe=_URL_SAFE)})"


def compose(hit: Hit, public_url: str) -> str:
    """The answer from `hit` in one Markdown message: its section, then a link to the article
    (at the section's own anchor) on the public help centre at `public_url`."""
    body = _PARAGRAPH_BREAK.sub(BLANK_LINE, short_answer(hit.snippet))
    return f"{body}{BLANK_LINE}{link(hit.title, public_url.rstrip('/') + hit.url)}"
