"""Inbound e-mail parsed into what the desk needs: the thread, the sender, the new text, the images.

Pure: bytes in, a frozen value out, no I/O. Built on the standard library `email` package with the
modern policy and hardened so that, for any byte string, `parse_email` either returns a best-effort
`ParsedEmail` or raises `BadEmail` (of which `TooLarge` is one kind), never anything else.

Everything that comes out is safe to reuse: header-derived strings are single lines, all strings
are valid Unicode (no lone surrogates), attachments are images whose bytes were checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser

from channels.email.headers import (
    POLICY,
    addresses,
    decode_header_text,
    envelope_address,
    first,
    fix_surrogates,
    ids,
    missing_id,
    one_line,
    raw_values,
    valid_address,
)
from channels.email.mime import Attachment, content_maintype, content_type, read_body

MAX_EMAIL_BYTES = 25 * 1024 * 1024  # whole message
_MAX_SUBJECT_CHARS = 300
_MAX_NAME_CHARS = 300
_MAX_BOUNDARY_LINES = 10_000  # lines starting with "--" beyond which multipart is not split


class BadEmail(ValueError):
    """The message cannot be read, or is refused; `reason` is short, for logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(BadEmail):
    """The message is over `MAX_EMAIL_BYTES`."""


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    """What the desk keeps of one inbound message."""

    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    attachments: tuple[Attachment, ...]
    automated: bool
    dropped: tuple[str, ...]


def parse_email(raw: bytes, envelope_sender: str | None = None) -> ParsedEmail:
    """Parse one raw message (as received over SMTP or fetched over IMAP).

    `envelope_sender` is the SMTP MAIL FROM, when known: it stands in for a missing or
    unreadable From, and an empty one ("" or "<>") marks a null sender (a bounce or an
    auto-reply), whose `sender` is then "" so that nobody replies to it.

    Raises `TooLarge` over `MAX_EMAIL_BYTES`, `BadEmail` when there is nothing to read.
    """
    raw = bytes(raw)
    if len(raw) > MAX_EMAIL_BYTES:
        raise TooLarge(f"message is {len(raw)} bytes, over the {MAX_EMAIL_BYTES}-byte limit")
    if not raw.strip():
        raise BadEmail("empty message")
    try:
        return _parse(raw, envelope_sender)
    except BadEmail:
        raise
    except Exception as exc:  # the contract: nothing but BadEmail escapes
        raise BadEmail(f"unreadable message ({type(exc).__name__})") from exc


def _parse(raw: bytes, envelope_sender: str | None) -> ParsedEmail:
    msg, body_problem = _read_mime(raw)
    if len(msg) == 0:
        raise BadEmail("no headers")

    envelope = envelope_address(envelope_sender)
    null_sender = envelope == ""

    from_entries = [entry for value in raw_values(msg, "from") for entry in addresses(value)]
    from_entry = next((e for e in from_entries if valid_address(e[1])), None)
    if null_sender:
        sender = ""
    elif from_entry is not None:
        sender = from_entry[1].lower()
    else:
        sender = envelope if envelope and valid_address(envelope) else ""
    first_entry = from_entry or (from_entries[0] if from_entries else ("", ""))
    sender_name = one_line(first_entry[0], _MAX_NAME_CHARS)

    recipients: list[str] = []
    for name in ("to", "cc", "delivered-to", "x-original-to"):
        for value in raw_values(msg, name):
            for _, addr in addresses(value):
                addr = addr.lower()
                if valid_address(addr) and addr not in recipients:
                    recipients.append(addr)

    message_ids = ids(first(msg, "message-id"))
    in_reply_to = ids(first(msg, "in-reply-to"))
    references = tuple(dict.fromkeys(ids(" ".join(raw_values(msg, "references")))))

    if body_problem is None:
        text, attachments, dropped = read_body(msg)
    else:
        text, attachments, dropped = "", [], [f"message body not read: {body_problem}"]

    from_locals = [addr.split("@", 1)[0].strip().lower() for _, addr in from_entries]
    if envelope:
        from_locals.append(envelope.split("@", 1)[0])

    return ParsedEmail(
        message_id=message_ids[0] if message_ids else missing_id(raw),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        sender=sender,
        sender_name=sender_name,
        recipients=tuple(recipients),
        subject=one_line(decode_header_text(first(msg, "subject")), _MAX_SUBJECT_CHARS),
        text=text,
        attachments=tuple(attachments),
        automated=_automated(msg, null_sender, from_locals),
        dropped=tuple(fix_surrogates(reason) for reason in dropped),
    )


def _read_mime(raw: bytes) -> tuple[Message, str | None]:
    """The parsed message, and why its body cannot be used (None when it can)."""
    if raw.count(b"\n--") > _MAX_BOUNDARY_LINES:
        # Splitting costs about 20 us and 500 bytes per part: refuse a million tiny parts.
        ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
        head = BytesParser(policy=POLICY).parsebytes(raw[: min(ends, default=len(raw))])
        if content_maintype(head) == "multipart":
            return head, "too many MIME parts"
    try:
        return BytesParser(policy=POLICY).parsebytes(raw), None
    except Exception:  # MIME nested deeper than the parser's recursion allows: keep the headers
        return BytesParser(policy=POLICY).parsebytes(
            raw, headersonly=True
        ), "MIME structure could not be read"


_AUTOMATED_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})


def _automated(msg: Message, null_sender: bool, from_locals: list[str]) -> bool:
    """Whether the message was sent by a machine: an auto-reply, a bounce, a list."""
    if null_sender:
        return True
    if any(local in ("mailer-daemon", "postmaster") for local in from_locals):
        return True
    for value in raw_values(msg, "auto-submitted"):
        if value.split(";", 1)[0].strip().lower() != "no":
            return True
    for value in raw_values(msg, "precedence"):
        if value.strip().lower() in _AUTOMATED_PRECEDENCE:
            return True
    names = {key.lower() for key in msg}
    if names & {"x-autoreply", "x-autorespond", "list-id", "list-unsubscribe"}:
        return True
    for value in raw_values(msg, "x-auto-response-suppress"):
        lowered = value.lower()
        if "all" in lowered or "autoreply" in lowered:
            return True
    return content_type(msg) == "multipart/report"
