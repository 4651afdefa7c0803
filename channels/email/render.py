"""Outbound email as customers' mail programs expect it: threaded, text + HTML (pure).

A reply is Markdown (answers, agents' replies): the text part is plain text with bare links
(`channels.base.formats.plain_text`), the HTML part the desk's one safe HTML (`markup.to_html`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from channels.base.formats import plain_text
from channels.base.markup import to_html

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|rv|tr|fw|fwd)\s*:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_header(value: str, limit: int = 300) -> str:
    """One line, no control characters: a customer's subject can never inject a header."""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def reply_subject(subject: str, tag: str | None = None) -> str:
    """`Re: [IMG-000123] original` — the tag lets a reply find its ticket without headers."""
    subject = clean_header(subject) or "imageko support"
    if tag and tag not in subject:
        subject = f"[{tag}] {subject}"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def _html(text: str, lang: str) -> str:
    body = to_html(text, breaks=True)
    return f'<!doctype html><html lang="{html.escape(lang)}"><body>{body}</body></html>'


def compose(
    *,
    to: str,
    sender: str,
    subject: str,
    text: str,
    lang: str,
    now: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    auto_reply: bool = False,
    domain: str = "imageko.com",
) -> EmailMessage:
    """One message, text and HTML alternatives, threaded under `in_reply_to`.

    `auto_reply` marks acknowledgments (RFC 3834 `Auto-Submitted: auto-replied`) so that
    well-behaved auto-responders never answer them and start a loop.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = clean_header(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=domain)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        chain = [*references, in_reply_to] if in_reply_to not in references else [*references]
        # Long threads: keep the root (it names the conversation) and the newest ids.
        message["References"] = " ".join(chain if len(chain) <= 20 else chain[:1] + chain[-19:])
    if auto_reply:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(plain_text(text))
    message.add_alternative(_html(text, lang), subtype="html")
    message["Content-Language"] = lang  # after the body: set_content drops Content-* headers
    return message
