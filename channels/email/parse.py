"""Inbound e-mail parsed into what the desk needs: the thread, the sender, the new text, the images.

Pure: bytes in, a frozen value out, no I/O. Built on the standard library `email` package with the
modern policy and hardened so that, for any byte string, `parse_email` either returns a best-effort
`ParsedEmail` or raises `BadEmail` (of which `TooLarge` is one kind), never anything else.

Everything that comes out is safe to reuse: header-derived strings are single lines, all strings
are valid Unicode (no lone surrogates), attachments are images whose bytes were checked.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from html import unescape
from html.parser import HTMLParser
from typing import Any

from channels.base.media import sniff_image

__all__ = [
    "IMAGE_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "MAX_EMAIL_BYTES",
    "Attachment",
    "BadEmail",
    "ParsedEmail",
    "TooLarge",
    "html_to_text",
    "parse_email",
    "strip_quoted",
]

MAX_EMAIL_BYTES = 25 * 1024 * 1024  # whole message
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_MAX_SUBJECT_CHARS = 300
_MAX_NAME_CHARS = 300
_MAX_FILENAME_CHARS = 100
_MAX_PARTS = 1000  # leaf parts looked at; a message with more is hostile or broken
_MAX_DEPTH = 50  # multipart nesting followed
_MAX_BOUNDARY_LINES = 10_000  # lines starting with "--" beyond which multipart is not split
# The modern header parser needs memory quadratic in a value's length (40 kB of encoded words
# take hundreds of MB): values are cut to this before any parsing; no real header comes close.
_MAX_HEADER_CHARS = 8 * 1024
_TOO_DEEP = "parts nested too deeply were ignored"


class BadEmail(ValueError):
    """The message cannot be read, or is refused; `reason` is short, for logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(BadEmail):
    """The message is over `MAX_EMAIL_BYTES`."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image kept from the message; `content_type` is sniffed from the bytes."""

    filename: str
    content_type: str
    data: bytes


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


class _MimeTextHeader(BaseHeader):
    """A MIME structure header (Content-Type, -Disposition, -Transfer-Encoding) kept as text.

    The parser and `Message.get_content_type`, `get_param`, `get_filename`... only read these
    headers' text, while the modern structured parse costs about 100 microseconds per header
    and per access: tens of seconds for a 25 MB message made of tiny parts.
    """

    max_count = None

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["parse_tree"] = None  # only for re-serialising, which parsed mail never is
        kwds["decoded"] = value


class _CappedHeaderRegistry(HeaderRegistry):
    """The default header classes, fed at most `_MAX_HEADER_CHARS` of each value."""

    def __init__(self) -> None:
        super().__init__()
        for name in ("content-type", "content-disposition", "content-transfer-encoding"):
            self.map_to_type(name, _MimeTextHeader)
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        # The base class builds a new class on every call, the main cost of a simple header.
        name = name.lower()
        cls = self._classes.get(name)
        if cls is None:
            cls = super().__getitem__(name)
            if len(self._classes) < 100:  # the module reads a few names; never grow unbounded
                self._classes[name] = cls
        return cls

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str) and len(value) > _MAX_HEADER_CHARS:
            value = value[:_MAX_HEADER_CHARS]
        return super().__call__(name, value)


# The modern policy, with the two changes above; `Message` objects never leave this module.
_POLICY = policy.default.clone(header_factory=_CappedHeaderRegistry())


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


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

    envelope = _envelope_address(envelope_sender)
    null_sender = envelope == ""

    from_entries = [entry for value in _raw_values(msg, "from") for entry in _addresses(value)]
    from_entry = next((e for e in from_entries if _valid_address(e[1])), None)
    if null_sender:
        sender = ""
    elif from_entry is not None:
        sender = from_entry[1].lower()
    else:
        sender = envelope if envelope and _valid_address(envelope) else ""
    first_entry = from_entry or (from_entries[0] if from_entries else ("", ""))
    sender_name = _one_line(first_entry[0], _MAX_NAME_CHARS)

    recipients: list[str] = []
    for name in ("to", "cc", "delivered-to", "x-original-to"):
        for value in _raw_values(msg, name):
            for _, addr in _addresses(value):
                addr = addr.lower()
                if _valid_address(addr) and addr not in recipients:
                    recipients.append(addr)

    message_ids = _ids(_first(msg, "message-id"))
    in_reply_to = _ids(_first(msg, "in-reply-to"))
    references = tuple(dict.fromkeys(_ids(" ".join(_raw_values(msg, "references")))))

    if body_problem is None:
        text, attachments, dropped = _body(msg)
    else:
        text, attachments, dropped = "", [], [f"message body not read: {body_problem}"]

    from_locals = [addr.split("@", 1)[0].strip().lower() for _, addr in from_entries]
    if envelope:
        from_locals.append(envelope.split("@", 1)[0])

    return ParsedEmail(
        message_id=message_ids[0] if message_ids else _missing_id(raw),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        sender=sender,
        sender_name=sender_name,
        recipients=tuple(recipients),
        subject=_one_line(_decode_header_text(_first(msg, "subject")), _MAX_SUBJECT_CHARS),
        text=text,
        attachments=tuple(attachments),
        automated=_automated(msg, null_sender, from_locals),
        dropped=tuple(_fix_surrogates(reason) for reason in dropped),
    )


def _read_mime(raw: bytes) -> tuple[Message, str | None]:
    """The parsed message, and why its body cannot be used (None when it can)."""
    if raw.count(b"\n--") > _MAX_BOUNDARY_LINES:
        # Splitting costs about 20 us and 500 bytes per part: refuse a million tiny parts.
        ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
        head = BytesParser(policy=_POLICY).parsebytes(raw[: min(ends, default=len(raw))])
        if _content_maintype(head) == "multipart":
            return head, "too many MIME parts"
    try:
        return BytesParser(policy=_POLICY).parsebytes(raw), None
    except Exception:  # MIME nested deeper than the parser's recursion allows: keep the headers
        return BytesParser(policy=_POLICY).parsebytes(
            raw, headersonly=True
        ), "MIME structure could not be read"


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------

_ID = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,500})>")  # printable ASCII, no "<", ">"
_BARE_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]{1,500}")
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # categories Cc, Zl, Zp
_SPACES = re.compile(r"\s+")
_ADDRESS = re.compile(
    r"[^\x00-\x20\x7f<>()\[\],;:\"\\@]{1,64}@[^\x00-\x20\x7f<>()\[\],;:\"\\@]{1,255}"
)


def _raw_values(msg: Message, name: str) -> list[str]:
    """Every value of a header as received (unfolded), without the policy's parsing."""
    values: list[str] = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            values.append(_fix_surrogates(str(value).replace("\r", "").replace("\n", "")))
    return values


def _first(msg: Message, name: str) -> str:
    values = _raw_values(msg, name)
    return values[0] if values else ""


def _ids(value: str) -> list[str]:
    """The "<...>" message ids in a header value; a lone bare id is accepted and bracketed."""
    found = [f"<{m}>" for m in _ID.findall(value)]
    if not found and _BARE_ID.fullmatch(value.strip()) and "@" in value:
        found = [f"<{value.strip()}>"]
    return found


def _missing_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@missing.imageko>"


def _decode_header_text(value: str) -> str:
    """An unstructured header value with its RFC 2047 encoded words decoded, best effort."""
    if "=?" not in value:
        return value
    try:
        return _fix_surrogates(str(_POLICY.header_factory("subject", value)))
    except Exception:
        pass
    try:
        return _fix_surrogates(str(make_header(decode_header(value[:_MAX_HEADER_CHARS]))))
    except Exception:
        return value


def _addresses(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address-list header value, best effort."""
    try:
        header = _POLICY.header_factory("to", value)
        if isinstance(header, AddressHeader):
            return [
                (_fix_surrogates(a.display_name), _fix_surrogates(a.addr_spec).strip())
                for a in header.addresses
            ]
    except Exception:
        pass
    try:
        pairs = getaddresses([value[:_MAX_HEADER_CHARS]])
        return [(_decode_header_text(name), addr.strip()) for name, addr in pairs]
    except Exception:
        return []


def _valid_address(addr: str) -> bool:
    return bool(_ADDRESS.fullmatch(addr))


def _envelope_address(envelope_sender: str | None) -> str | None:
    """The envelope sender, lowercased and unbracketed; "" for a null sender."""
    if envelope_sender is None:
        return None
    value = _fix_surrogates(str(envelope_sender)).strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value.lower()


def _one_line(value: str, limit: int) -> str:
    """A header-safe single line: control characters and line breaks become spaces."""
    value = _LINE_BREAKING.sub(" ", _fix_surrogates(value[:_MAX_HEADER_CHARS]))
    return _SPACES.sub(" ", value).strip()[:limit].rstrip()


def _fix_surrogates(value: str) -> str:
    """Lone surrogates (undecodable bytes kept by the parser) turned back into text."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:  # bytes smuggled through "surrogateescape": often valid UTF-8 after all
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


_AUTOMATED_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})


def _automated(msg: Message, null_sender: bool, from_locals: list[str]) -> bool:
    """Whether the message was sent by a machine: an auto-reply, a bounce, a list."""
    if null_sender:
        return True
    if any(local in ("mailer-daemon", "postmaster") for local in from_locals):
        return True
    for value in _raw_values(msg, "auto-submitted"):
        if value.split(";", 1)[0].strip().lower() != "no":
            return True
    for value in _raw_values(msg, "precedence"):
        if value.strip().lower() in _AUTOMATED_PRECEDENCE:
            return True
    names = {key.lower() for key in msg}
    if names & {"x-autoreply", "x-autorespond", "list-id", "list-unsubscribe"}:
        return True
    for value in _raw_values(msg, "x-auto-response-suppress"):
        lowered = value.lower()
        if "all" in lowered or "autoreply" in lowered:
            return True
    return _content_type(msg) == "multipart/report"


# --------------------------------------------------------------------------------------------
# Body and attachments
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Body:
    """What the walk over the parts collects."""

    plain: str | None = None
    rich: str | None = None
    unsplit: str | None = None  # a multipart body whose parts could not be found
    attachments: list[Attachment] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _body(msg: Message) -> tuple[str, list[Attachment], list[str]]:
    body = _Body()
    _collect(msg, body, recover=True)
    if body.plain is not None and body.plain.strip():
        text = body.plain
    elif body.rich is not None:
        text = html_to_text(body.rich)
    else:
        text = body.plain or body.unsplit or ""
    return _tidy(strip_quoted(_tidy(text))), body.attachments, body.dropped


def _collect(msg: Message, body: _Body, *, recover: bool) -> None:
    for part in _leaves(msg, body.dropped):
        ctype = _content_type(part)
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
        recovered = BytesParser(policy=_POLICY).parsebytes(head + data)
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
        if isinstance(children, list) and _content_maintype(part) != "message":
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


def _content_type(part: Message) -> str:
    try:
        return _fix_surrogates(part.get_content_type()).lower()
    except Exception:
        return "text/plain"


def _content_maintype(part: Message) -> str:
    return _content_type(part).split("/", 1)[0]


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
        return _decode_header_text(_fix_surrogates(value))
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
    name = _fix_surrogates(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_"
        if c in _UNSAFE_FILENAME_CHARS
        else " "
        if unicodedata.category(c) in _CONTROL_CATEGORIES
        else c
        for c in name
        if unicodedata.category(c) != "Cf"  # bidi overrides disguise "gnp.exe" as "exe.png"
    )
    name = _SPACES.sub(" ", name).strip(" .")
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
    if _content_maintype(part) == "message" or part.is_multipart():
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


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MANY_BLANK_LINES = re.compile(r"\n{4,}")


def _tidy(text: str) -> str:
    """Newlines as \\n, no trailing spaces, at most two blank lines in a row, no stray controls."""
    text = _fix_surrogates(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _MANY_BLANK_LINES.sub("\n\n\n", text).strip()


_SKIPPED_ELEMENTS = frozenset({"script", "style", "head", "title", "template"})
_HEAD_ELEMENTS = frozenset(
    {"meta", "link", "title", "style", "script", "base", "noscript", "template"}
)
_LINE_ELEMENTS = frozenset(
    {
        "div", "li", "tr", "ul", "ol", "table", "thead", "tbody", "tfoot", "dl", "dt", "dd",
        "section", "article", "header", "footer", "nav", "aside", "address", "form",
        "fieldset", "figure", "figcaption", "center", "hr", "main", "caption",
    }
)  # fmt: skip
_PARAGRAPH_ELEMENTS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
_CELL_ELEMENTS = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_LEFTOVER_TAG = re.compile(r"<[a-zA-Z/!?][^<>]*>?")
_TAG_START = re.compile(r"<(?=[a-zA-Z/!?])")


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document, with line breaks where blocks end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # see handle_data: raw "<" is never text
        self.out: list[str] = []
        self._newlines = 0  # newlines at the end of `out`
        self._skipping: list[str] = []
        self._pre = 0

    def _emit(self, text: str) -> None:
        if not text:
            return
        self.out.append(text)
        content = text.rstrip("\n")
        self._newlines = len(text) - len(content) if content else self._newlines + len(text)

    def _break(self, newlines: int) -> None:
        if self.out and self._newlines < newlines:
            self._emit("\n" * (newlines - self._newlines))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if "head" in self._skipping and tag not in _HEAD_ELEMENTS:
            del self._skipping[self._skipping.index("head") :]  # an unclosed <head> ends here
        if tag in _SKIPPED_ELEMENTS:
            self._skipping.append(tag)
        elif tag == "br":
            self._emit("\n")
        elif tag in _LINE_ELEMENTS:
            self._break(1)
        elif tag in _PARAGRAPH_ELEMENTS:
            self._break(2)
            if tag == "pre":
                self._pre += 1
        elif tag in _CELL_ELEMENTS and self.out and self._newlines == 0:
            self._emit(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED_ELEMENTS:  # "<script/>" has nothing to skip
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag) :]
        elif tag == "br":  # "</br>" is read as "<br>" by browsers too
            self._emit("\n")
        elif tag in _LINE_ELEMENTS:
            self._break(1)
        elif tag in _PARAGRAPH_ELEMENTS:
            self._break(2)
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        # Charrefs arrive apart (convert_charrefs=False), so a "<" here is broken markup.
        data = _LEFTOVER_TAG.sub("", data)
        if not self._pre:
            data = _HTML_SPACE.sub(" ", data)
            if not self.out or self._newlines:
                data = data.lstrip(" ")
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_text(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.handle_text(unescape(f"&#{name};"))

    def handle_text(self, text: str) -> None:
        if not self._skipping:
            self._emit(text)


def html_to_text(html: str) -> str:
    """The visible text of an HTML body: no script/style/head, blocks on lines, entities decoded.

    Never markup: a "<" that would open a tag (say, from "&lt;b&gt;") is followed by a space.
    """
    extractor = _TextExtractor()
    try:
        extractor.feed(_fix_surrogates(html))
        if extractor.rawdata.lstrip().startswith("<"):
            extractor.rawdata = ""  # an unfinished tag at the very end: not text
        extractor.close()
        text = "".join(extractor.out)
    except Exception:  # the parser is lenient, but never let a hostile body break a message
        text = re.sub(r"(?is)<(script|style|head|title)\b.*?</\1\s*>", " ", html)
        text = unescape(_LEFTOVER_TAG.sub(" ", text))
    # Whatever survived as "<tag" (escaped in the source, or broken markup) is defused: never a tag.
    return _TAG_START.sub("< ", _tidy(text.replace("\xa0", " ")))


_ON_WROTE = re.compile(r"^\s*on\s.*\bwrote\s*:\s*$", re.IGNORECASE)
_EL_ESCRIBIO = re.compile(r"^\s*el\s.*\bescribi[óo]\s*:\s*$", re.IGNORECASE)
_LE_A_ECRIT = re.compile(r"^\s*le\s.*\ba\s+[ée]crit\s*:\s*$", re.IGNORECASE)
_REPLY_HEADER_START = re.compile(r"^\s*(on|el|le)\s", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(original message|mensaje original|message d['’]origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*_{4,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|de)\s*:\s*\*?\s*\S", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\s*\*?(sent|date|to|subject|cc|enviado|fecha|para|asunto|envoyé|à|objet)\s*:",
    re.IGNORECASE,
)


def _is_reply_header(line: str) -> bool:
    """ "On <date>, <who> wrote:" in English, Spanish or French, with a date or an address."""
    if len(line) > 500 or not (re.search(r"\d", line) or "@" in line):
        return False
    line = unicodedata.normalize("NFC", line)
    return any(p.match(line) for p in (_ON_WROTE, _EL_ESCRIBIO, _LE_A_ECRIT))


def _outlook_header_at(lines: list[str], i: int) -> bool:
    """A "From: ..." block as Outlook quotes, after a blank line or a "____" separator."""
    if i == 0 or not _OUTLOOK_FROM.match(lines[i]):
        return False
    if lines[i - 1].strip() and not _SEPARATOR.match(lines[i - 1]):
        return False
    return "@" in lines[i] or any(_OUTLOOK_FIELD.match(line) for line in lines[i + 1 : i + 5])


def _quote_cut(lines: list[str]) -> int:
    """The index of the first line of quoted history or signature; len(lines) if none."""
    for i, line in enumerate(lines):
        if line in ("-- ", "--"):
            return i
        first = line.lstrip()[:1]  # cheap filter: the rules below start with one of these
        if first == "-" and _ORIGINAL_MESSAGE.match(line):
            return i
        if first in ("O", "o", "E", "e", "L", "l") and _REPLY_HEADER_START.match(line):
            if _is_reply_header(line):
                return i
            if (
                i + 1 < len(lines)
                and not _REPLY_HEADER_START.match(lines[i + 1])
                and _is_reply_header(f"{line.rstrip()} {lines[i + 1].strip()}")
            ):
                return i  # the header wrapped onto two lines
        if first in ("*", "F", "f", "D", "d") and _outlook_header_at(lines, i):
            return i - 1 if _SEPARATOR.match(lines[i - 1]) else i
    return len(lines)


def strip_quoted(text: str) -> str:
    """The new text of a reply: quoted history, ">" lines and the signature removed.

    Never empties a message: if nothing would be left, the original text is returned.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [line for line in lines[: _quote_cut(lines)] if not line.lstrip().startswith(">")]
    result = "\n".join(kept).strip()
    return result if result else text
