"""The body of a message: its parts walked (bounded in number and depth), the text chosen and
decoded, and the images kept as attachments, checked by their bytes."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from typing import Any

from channels.base.media import sniff_image
from channels.email.headers import (
    CONTROL_CATEGORIES,
    POLICY,
    SPACES,
    decode_header_text,
    fix_surrogates,
)
from channels.email.html_text import html_to_text
from channels.email.quoting import strip_quoted
from channels.email.text import tidy

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_MAX_FILENAME_CHARS = 100
_MAX_PARTS = 1000  # leaf parts looked at; a message with more is hostile or broken
_MAX_DEPTH = 50  # multipart nesting followed
_TOO_DEEP = "parts nested too deeply were ignored"


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image kept from the message; `content_type` is sniffed from the bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class _Body:
    """What the walk over the parts collects."""

    plain: str | None = None
    rich: str | None = None
    unsplit: str | None = None  # a multipart body whose parts could not be found
    attachments: list[Attachment] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def read_body(msg: Message) -> tuple[str, list[Attachment], list[str]]:
    """The new text of the message, its image attachments, and what was dropped and why."""
    body = _Body()
    _collect(msg, body, recover=True)
    if body.plain is not None and body.plain.strip():
        text = body.plain
    elif body.rich is not None:
        text = html_to_text(body.rich)
    else:
        text = body.plain or body.unsplit or ""
    return tidy(strip_quoted(tidy(text))), body.attachments, body.dropped


def _collect(msg: Message, body: _Body, *, recover: bool) -> None:
    for part in _leaves(msg, body.dropped):
        ctype = content_type(part)
        disposition = _disposition(part)
        filename = _filename(part)
        if ctype.startswith("multipart/"):  # its boundary was never found
            recovered = _recover_multipart(part, ctype) if recover else None
            if recovered is not None:
                _collect(recovered, body, recover=False)
            elif body.unsplit is None:
                body.unsplit = _part_text(part)
            continue
        is_text = ctype in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not (disposition == "inline" and filename):
            if ctype == "text/plain" and body.plain is None:
                body.plain = _part_text(part)
            elif ctype == "text/html" and body.rich is None:
                body.rich = _part_text(part)
            continue  # other alternatives of the body are not content that was dropped
        _attachment(part, ctype, filename, body.attachments, body.dropped)


_BOUNDARY_LINE = re.compile(
    r"^--([0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?])[ \t]*\r?$", re.MULTILINE
)


def _recover_multipart(part: Message, ctype: str) -> Message | None:
    """A multipart part re-read with the boundary its body really uses, if one can be seen."""
    try:
        payload = part.get_payload()
        if not isinstance(payload, str):
            return None
        match = _BOUNDARY_LINE.search(payload)
        if match is None:
            return None
        head = f'Content-Type: {ctype}; boundary="{match.group(1)}"\r\n\r\n'.encode()
        data = payload.encode("utf-8", "surrogateescape")
        recovered = BytesParser(policy=POLICY).parsebytes(head + data)
    except Exception:
        return None
    return recovered if recovered.is_multipart() else None


def _leaves(msg: Message, dropped: list[str]) -> Iterator[Message]:
    """The non-multipart parts, depth first, in order; message/* parts are not entered."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list) and content_maintype(part) != "message":
            if depth >= _MAX_DEPTH:
                if _TOO_DEEP not in dropped:
                    dropped.append(_TOO_DEEP)
                continue
            stack.extend(
                (child, depth + 1) for child in reversed(children) if isinstance(child, Message)
            )
            continue
        seen += 1
        if seen > _MAX_PARTS:
            dropped.append(f"parts after the first {_MAX_PARTS} were ignored")
            return
        yield part


def content_type(part: Message) -> str:
    """The part's MIME type, lowercased; text/plain when it cannot be read."""
    try:
        return fix_surrogates(part.get_content_type()).lower()
    except Exception:
        return "text/plain"


def content_maintype(part: Message) -> str:
    """The part's MIME main type ("text", "image", "multipart"...)."""
    return content_type(part).split("/", 1)[0]


def _disposition(part: Message) -> str | None:
    try:
        value = part.get_content_disposition()
    except Exception:
        return None
    return value.lower() if isinstance(value, str) else None


def _filename(part: Message) -> str | None:
    try:
        value: Any = part.get_filename()
    except Exception:
        return None
    if isinstance(value, str) and value.strip():
        return decode_header_text(fix_surrogates(value))
    return None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def _charset(part: Message) -> str | None:
    try:
        value = part.get_content_charset()
    except Exception:
        return None
    return value if isinstance(value, str) else None


_CHARSET_SUBSTITUTES = {
    "ascii": "utf-8",  # mislabelled UTF-8 is common, and UTF-8 is a superset
    "iso8859-1": "cp1252",  # as browsers do: "iso-8859-1" mail is nearly always Windows-1252
}


def _decode(data: bytes, charset: str | None) -> str:
    """Bytes decoded with the declared charset, else UTF-8; undecodable bytes become U+FFFD."""
    codec = "utf-8"
    if charset and len(charset) <= 40:
        try:
            name = codecs.lookup(charset.strip().strip("\"'")).name
            codec = _CHARSET_SUBSTITUTES.get(name, name)
        except Exception:  # unknown charset: UTF-8 is the best guess
            codec = "utf-8"
    try:
        return data.decode(codec, errors="replace")
    except Exception:  # not a text encoding ("rot13", "zlib") or no "replace" support ("idna")
        return data.decode("utf-8", errors="replace")


def _part_text(part: Message) -> str:
    return _decode(_payload(part), _charset(part))


_UNSAFE_FILENAME_CHARS = frozenset(':*?"<>|')


def _safe_filename(name: str | None) -> str:
    """A basename with no path, control or reserved characters, at most 100 characters."""
    if not name:
        return "attachment"
    name = fix_surrogates(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_"
        if c in _UNSAFE_FILENAME_CHARS
        else " "
        if unicodedata.category(c) in CONTROL_CATEGORIES
        else c
        for c in name
        if unicodedata.category(c) != "Cf"  # bidi overrides disguise "gnp.exe" as "exe.png"
    )
    name = SPACES.sub(" ", name).strip(" .")
    if not name:
        return "attachment"
    if len(name) > _MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            name = f"{stem[: _MAX_FILENAME_CHARS - len(ext) - 1].rstrip(' .')}.{ext}"
        else:
            name = name[:_MAX_FILENAME_CHARS].rstrip(" .")
    return name or "attachment"


def _attachment(
    part: Message,
    declared: str,
    filename: str | None,
    attachments: list[Attachment],
    dropped: list[str],
) -> None:
    name = _safe_filename(filename)
    if content_maintype(part) == "message" or part.is_multipart():
        dropped.append(f"{name}: {declared} is not an image")
        return
    data = _payload(part)
    sniffed = sniff_image(data)
    if sniffed is None:
        if not data:
            dropped.append(f"{name}: empty or unreadable {declared} part")
        elif declared.startswith("image/"):
            dropped.append(f"{name}: declared {declared} but is not an image")
        else:
            dropped.append(f"{name}: {declared} is not an image")
    elif len(data) > MAX_ATTACHMENT_BYTES:
        dropped.append(f"{name}: image too large ({len(data)} bytes, limit {MAX_ATTACHMENT_BYTES})")
    else:
        attachments.append(Attachment(filename=name, content_type=sniffed, data=data))
