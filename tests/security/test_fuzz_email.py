"""Property-based fuzzing of inbound e-mail: for any bytes, `parse_email` returns what is safe
to keep or raises `BadEmail`, nothing else; and the intake, on PostgreSQL, either refuses a
message with `BadEmail` having stored nothing, or stores it whole and processed — never a
message stored and left half-way (the sending server would retry it into a duplicate).

Messages are built from hostile parts (headers of any text, encoded words in unknown charsets,
every transfer encoding, nested multiparts past the depth limit, attachments whose bytes lie
about their type, file names with paths and bidi overrides), then mutated byte by byte, or are
random bytes. Budget: deterministic (`derandomize`, no example database): 300 examples on the
parser, 30 plus two explicit cases through the intake — about 12 s on 2 cores.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.delivery import Deliveries
from bot.conversations.mail import MailIntake
from bot.conversations.store import ConversationStore
from bot.db import create_engine, session_factory
from bot.db.models import Conversation, Message, MessageStatus, OutboxItem, Ticket
from bot.rasa.client import RasaClient
from bot.tickets.customers import CustomerDirectory
from bot.tickets.service import TicketService
from channels.base.media import sniff_image
from channels.email.mime import IMAGE_TYPES, MAX_ATTACHMENT_BYTES
from channels.email.parse import BadEmail, ParsedEmail, parse_email
from tests.security.hostile import NASTY_TEXT

PARSE_EXAMPLES = 300
INTAKE_EXAMPLES = 30
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32)
POLYGLOT = PNG + b"<html><script>alert(1)</script></html>"  # an image by its first bytes
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(32)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,500}>")
# Byte sequences that MIME parsers trip on, for the mutations to insert.
_TOKENS = [
    b"\r\n",
    b"\n",
    b"--",
    b"\r\n\r\n",
    b"=?utf-8?b?",
    b"=?x-unknown-42?q?=E9",
    b"=?utf-8?q?=00=1b?=",
    b"?=",
    b'charset="rot13"',
    b"Content-Type: multipart/mixed; boundary=",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: x-uuencode\r\nbegin 644 x\n",
    b"filename*=utf-8''%FF%FE",
    b"=\r\n",
    b"=ZZ",
    b"\xff\xfe",
    b"\xc3",
    b"\x00",
    b"\xed\xa0\x80",  # an encoded lone surrogate
    b"<",
    b">",
    b"\\",
    "\u202e".encode(),  # a right-to-left override
]


def _encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


_HEADER_TEXT = st.one_of(
    NASTY_TEXT.map(_encoded),
    st.tuples(st.sampled_from(["utf-8", "iso-8859-1", "x-unknown", "utf-16", ""]), NASTY_TEXT).map(
        lambda t: b"=?" + t[0].encode() + b"?b?" + base64.b64encode(_encoded(t[1])) + b"?="
    ),
    st.binary(max_size=40),
    st.just(b"x" * 9000),  # past the header length cap
)
_ADDRESSES = st.one_of(
    st.sampled_from([b"Ana <ana.free@example.com>", b"bob@example.com", b"<>", b"", b"@"]),
    st.sampled_from([b"a@b@c", b"MAILER-DAEMON@x.org"]),
    st.tuples(_HEADER_TEXT, st.sampled_from([b"ana.free@example.com", b"x@y"])).map(
        lambda t: b'"' + t[0] + b'" <' + t[1] + b">"
    ),
    _HEADER_TEXT,
)
_RECIPIENTS = st.sampled_from(
    [b"support@imageko.com", b"trust@imageko.com", b"urgent@imageko.com", b"nobody@x", b""]
)
_CHARSETS = st.sampled_from(["utf-8", "iso-8859-1", "utf-16", "x-unknown-42", "rot13", "idna", ""])
_FILENAMES = st.one_of(
    st.sampled_from(["captura.png", "../../etc/passwd", "a\u202egnp.exe", "", "C:\\x\\y.png"]),
    st.just("x" * 300 + ".png"),
    NASTY_TEXT,
)


@st.composite
def _body(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """(headers, body) of one text part: any text, any charset, any transfer encoding."""
    charset = draw(_CHARSETS)
    try:
        data = draw(NASTY_TEXT).encode(charset or "utf-8", "surrogatepass")
    except (LookupError, UnicodeError):
        data = draw(st.binary(max_size=60))
    encoding = draw(st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-bad"]))
    if encoding == "base64":
        data = base64.encodebytes(data)
    elif encoding == "quoted-printable":
        data = quopri.encodestring(data)
    subtype = draw(st.sampled_from([b"plain", b"html"]))
    head = b"Content-Type: text/" + subtype + b"; charset=" + charset.encode() + b"\r\n"
    return head + b"Content-Transfer-Encoding: " + encoding.encode() + b"\r\n", data


@st.composite
def _attachment(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from([PNG, POLYGLOT, EXE, b"", PNG * 3]))
    declared = draw(st.sampled_from([b"image/png", b"application/octet-stream", b"text/html"]))
    name = _encoded(draw(_FILENAMES))
    return (
        b"Content-Type: " + declared + b'; name="' + name + b'"\r\n'
        b'Content-Disposition: attachment; filename="' + name + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data)
    )


@st.composite
def built_mail(draw: st.DrawFn) -> bytes:
    """A message of hostile parts, as raw bytes."""
    headers = [
        b"From: " + draw(_ADDRESSES),
        b"To: " + draw(_RECIPIENTS),
        b"Subject: " + draw(_HEADER_TEXT),
    ]
    if draw(st.booleans()):
        headers.append(b"Message-ID: " + draw(st.sampled_from([b"<a1@x>", b"", b"<>", b"a@b"])))
    if draw(st.booleans()):
        headers.append(b"References: " + draw(_HEADER_TEXT))
    if draw(st.booleans()):
        headers.append(b"Auto-Submitted: " + draw(_HEADER_TEXT))
    text_head, text = draw(_body())
    parts = [text_head + b"\r\n" + text]
    parts += [draw(_attachment()) for _ in range(draw(st.integers(0, 2)))]
    depth = draw(st.sampled_from([0, 0, 1, 2, 60]))  # 60: past the parser's 50 levels
    if depth == 0 and len(parts) == 1:
        return b"\r\n".join(headers) + b"\r\n" + parts[0]
    body = b""
    for level in range(max(depth, 1)):
        boundary = b"b" + str(level).encode()
        inner = parts if level == 0 else [body]
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n"
            + b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in inner)
            + b"--"
            + boundary
            + b"--\r\n"
        )
    mail = b"\r\n".join(headers) + b"\r\n" + body
    return mail if draw(st.booleans()) else mail.replace(b"\r\n", b"\n")


@st.composite
def mutated_mail(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(built_mail()))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        op = draw(st.integers(min_value=0, max_value=4))
        if op == 0 and data:
            data[at] = draw(st.integers(0, 255))
        elif op == 1:
            del data[at : at + draw(st.integers(1, 50))]
        elif op == 2:
            data[at:at] = draw(st.sampled_from(_TOKENS))
        elif op == 3:
            del data[at:]
        else:
            data[at:at] = data[: draw(st.integers(1, 200))]
    return bytes(data)


RAW_MAIL = st.one_of(built_mail(), built_mail(), mutated_mail(), st.binary(max_size=400))
ENVELOPES = st.sampled_from([None, "", "<>", "bob@example.com", "\udcff@x"])


def _check_keepable(parsed: ParsedEmail) -> None:
    """What the desk keeps and reuses is safe: valid Unicode everywhere, header-derived strings
    on one line, no control characters in the text, real images within the size limit."""
    one_line = [parsed.sender, parsed.sender_name, parsed.subject, *parsed.recipients]
    for value in [*one_line, parsed.message_id, *parsed.references, parsed.text, *parsed.dropped]:
        value.encode("utf-8")  # no lone surrogate
    assert not any(_LINE_BREAKS.search(value) for value in one_line)
    assert not _CONTROLS.search(parsed.text)
    assert _MESSAGE_ID.fullmatch(parsed.message_id)
    assert all(_MESSAGE_ID.fullmatch(ref) for ref in parsed.references)
    assert parsed.in_reply_to is None or _MESSAGE_ID.fullmatch(parsed.in_reply_to)
    for attachment in parsed.attachments:
        assert attachment.content_type in IMAGE_TYPES
        assert sniff_image(attachment.data) == attachment.content_type
        assert 0 < len(attachment.data) <= MAX_ATTACHMENT_BYTES
        name = attachment.filename
        assert name
        assert len(name) <= 100
        assert not re.search(r"[/\\:*?\"<>|]", name)
        assert not _LINE_BREAKS.search(name)
        assert "\u202e" not in name


@settings(
    max_examples=PARSE_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=RAW_MAIL, envelope=ENVELOPES)
def test_any_bytes_parse_into_what_is_safe_to_keep_or_raise_bad_email(
    raw: bytes, envelope: str | None
) -> None:
    try:
        parsed = parse_email(raw, envelope_sender=envelope)
    except BadEmail:
        return
    _check_keepable(parsed)


@pytest.fixture
async def intake(
    postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[MailIntake, AsyncEngine]]:
    """The intake on PostgreSQL, with the assistant down (discard port)."""
    engine = create_engine(postgres_url)
    sessions = session_factory(engine)
    async with httpx.AsyncClient() as http:
        yield (
            MailIntake(
                sessions,
                ConversationStore(sessions),
                TicketService(sessions, Deliveries()),
                CustomerDirectory(sessions),
                RasaClient("http://127.0.0.1:9", http, 5.0),
                tmp_path / "attachments",
                "http://127.0.0.1:8000",
            ),
            engine,
        )
    await engine.dispose()


async def _rows(engine: AsyncEngine) -> dict[str, int]:
    async with session_factory(engine)() as session:
        counts = {}
        for model in (Conversation, Message, Ticket, OutboxItem):
            counts[model.__tablename__] = int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
        counts["unprocessed"] = int(
            await session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.direction == "inbound", Message.status != MessageStatus.PROCESSED)
            )
            or 0
        )
    return counts


# The e-mail parser held on main (it was hardened before); two of the hardest cases stay: NUL
# and escapes in a subject and body bound for PostgreSQL, and 2000 nested multiparts.
_DEEP = b"Subject: x\r\n" + b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n" * 2000


@settings(
    max_examples=INTAKE_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one database for every example, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(raw=RAW_MAIL)
@example(raw=b"From: ana.free@example.com\r\nSubject: ho\x00la\r\n\r\nmy card \x00\x1b[2J")
@example(raw=_DEEP)
async def test_the_intake_refuses_with_bad_email_or_stores_whole(
    intake: tuple[MailIntake, AsyncEngine], raw: bytes
) -> None:
    receiver, engine = intake
    before = await _rows(engine)
    try:
        received = await receiver.receive(raw, "bob@example.com")
    except BadEmail:
        assert await _rows(engine) == before  # refused: nothing stored
        return
    after = await _rows(engine)
    assert after["unprocessed"] == 0, "a message stored but left unprocessed"
    if received.outcome == "duplicate":
        assert after == before
        return
    assert after["messages"] >= before["messages"] + 1
    assert after["conversations"] in (before["conversations"], before["conversations"] + 1)
