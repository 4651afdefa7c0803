"""Inbound e-mail parsing: any bytes either parse (best effort) or raise BadEmail, nothing else."""

from __future__ import annotations

import base64
import random
import re
from email.message import EmailMessage

import pytest

from channels.email.html_text import html_to_text
from channels.email.mime import IMAGE_TYPES, MAX_ATTACHMENT_BYTES, Attachment
from channels.email.parse import MAX_EMAIL_BYTES, BadEmail, ParsedEmail, TooLarge, parse_email
from channels.email.quoting import strip_quoted

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
GIF = b"GIF89a" + bytes(64)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(64)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)


def message(
    text: str | None = "Hello,\n\nmy upload fails.",
    *,
    html: str | None = None,
    subject: str = "Upload problem",
    sender: str = "Bob Smith <Bob.Smith@Example.COM>",
    to: str = "Imageko Support <support@imageko.com>",
    message_id: str | None = "<abc123@mail.example.com>",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id is not None:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    return msg


def parse(msg: EmailMessage, envelope_sender: str | None = None) -> ParsedEmail:
    return parse_email(msg.as_bytes(), envelope_sender=envelope_sender)


def lines(*headers: str, body: str = "Hello") -> bytes:
    """A literal message: each header line as given, CRLF line endings."""
    return "\r\n".join([*headers, "", body]).encode("utf-8", "surrogateescape")


# --- the plain cases -------------------------------------------------------------------------


def test_plain_text_message() -> None:
    parsed = parse(message())

    assert parsed.message_id == "<abc123@mail.example.com>"
    assert parsed.in_reply_to is None
    assert parsed.references == ()
    assert parsed.sender == "bob.smith@example.com"
    assert parsed.sender_name == "Bob Smith"
    assert parsed.recipients == ("support@imageko.com",)
    assert parsed.subject == "Upload problem"
    assert parsed.text == "Hello,\n\nmy upload fails."
    assert parsed.attachments == ()
    assert parsed.automated is False
    assert parsed.dropped == ()


def test_html_only_message_drops_script_and_decodes_entities() -> None:
    html = (
        "<html><head><title>Mail</title><style>p { color: red }</style></head><body>"
        "<p>Hello&nbsp;there &amp; thanks&hellip;</p><script>alert(1)</script>"
        "<div>caf&eacute; &#233;t&eacute; &#x263A;</div></body></html>"
    )
    parsed = parse(message(None, html=html))

    assert parsed.text == "Hello there & thanks…\n\ncafé été ☺"
    assert "alert" not in parsed.text
    assert "<" not in parsed.text


def test_multipart_alternative_prefers_plain() -> None:
    parsed = parse(message("plain version", html="<p>html version</p>"))

    assert parsed.text == "plain version"
    assert parsed.dropped == ()  # the unused alternative is not content that was dropped


def test_blank_plain_alternative_falls_back_to_html() -> None:
    parsed = parse(message("   \n", html="<p>only the html says it</p>"))

    assert parsed.text == "only the html says it"


def test_text_is_normalised() -> None:
    raw = lines(
        "From: bob@example.com",
        body="  \r\nfirst line   \r\n\r\n\r\n\r\n\r\nsecond\x00 line\t \rthird\r\n\r\n",
    )

    assert parse_email(raw).text == "first line\n\n\nsecond line\nthird"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<div>one</div><div><br></div><div>two</div>", "one\n\ntwo"),
        ("<ul><li>first</li><li>second</li></ul>", "first\nsecond"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<h1>Title</h1>text", "Title\n\ntext"),
        ("<head><title>hidden</title><meta charset=utf-8></head><body>shown</body>", "shown"),
        ("<head><title>t</title><p>no closing head</p>", "no closing head"),
        ("<style>.a{}</style><script>var x = '<p>';</script>visible", "visible"),
        ("&lt;3 &amp;&amp; &quot;quoted&quot; &euro;5 &#128512;", '<3 && "quoted" €5 😀'),
        ("spaces   and\n\nnewlines\tin source", "spaces and newlines in source"),
        ("&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;", "< script>alert(1)< /script> < b>"),
        ("<<!-- -->b>bold?", "< b>bold?"),
        ("<pre>keep\n  this</pre>", "keep\n  this"),
        ("text then an unfinished <a href='x", "text then an unfinished"),
        ("<!-- a comment -->after<!DOCTYPE html>", "after"),
        ("<p>مرحبا بالعالم</p><p>שלום עולם</p>", "مرحبا بالعالم\n\nשלום עולם"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    "html",
    [
        "<scr<script>ipt>alert(1)</script>",
        "<div <p>x</div>",
        "<a href='javascript:alert(1)'>click</a><img src=x onerror=alert(1)>",
        "<<<>>> <b <i",
        "<svg><style>x</style></svg><iframe src=x></iframe>",
        "d<<?1vi>ecs</script>eXa<re>",
        "a<\x00div>b",
    ],
)
def test_html_to_text_never_returns_markup(html: str) -> None:
    assert not re.search(r"<[a-zA-Z/!?]", html_to_text(html))


# --- quoted replies and signatures -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Thanks, it works!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Imageko Support "
            "<support@imageko.com> wrote:\n> Did you retry?\n> Regards",
            "Thanks, it works!",
        ),
        (  # the header wrapped onto two lines, as Gmail does with long names
            "Thanks!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Imageko Support <\n"
            "support@imageko.com> wrote:\n> Did you retry?",
            "Thanks!",
        ),
        (
            "Thanks!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Imageko Support <support@imageko.com>\n"
            "wrote :\n\n> Did you retry?",
            "Thanks!",
        ),
        (
            "Gracias, ya funciona.\n\nEl lun, 1 ene 2024 a las 10:00, Soporte Imageko "
            "(<support@imageko.com>) escribió:\n> ¿Lo intentó de nuevo?",
            "Gracias, ya funciona.",
        ),
        (
            "Merci, ça marche.\n\nLe lun. 1 janv. 2024 à 10:00, Support Imageko "
            "<support@imageko.com> a écrit :\n> Avez-vous réessayé ?",
            "Merci, ça marche.",
        ),
        (  # French typography: no-break spaces before the colon
            "Merci.\n\nLe 1 janv. 2024 à 10:00, Support <support@imageko.com> a\u00a0écrit\u202f:\n"
            "> x",
            "Merci.",
        ),
        ("Sure.\n\n-----Original Message-----\nFrom: Support\n\nold", "Sure."),
        ("Claro.\n\n-----Mensaje original-----\nDe: Soporte\n\nviejo", "Claro."),
        ("D'accord.\n\n-----Message d'origine-----\nDe : Support\n\nancien", "D'accord."),
        (
            "Yes please.\n\n________________________________\n"
            "From: Imageko Support <support@imageko.com>\nSent: Monday, January 1, 2024\n"
            "To: Bob\nSubject: Re: upload\n\nold text",
            "Yes please.",
        ),
        (
            "Sí.\n\nDe: Soporte Imageko <support@imageko.com>\nEnviado: lunes\nPara: Bob\n\nviejo",
            "Sí.",
        ),
        ("> what plan?\nThe Pro plan.\n> since when?\nMarch.", "The Pro plan.\nMarch."),
        ("My answer.\n-- \nBob Smith\nCEO, Example", "My answer."),
        ("My answer.\n--\nBob", "My answer."),
        ("Line one\r\nLine two\r\n> quoted", "Line one\nLine two"),
        # not reply headers: kept as written
        ("I pay monthly.\nFrom: my bank account\nthanks", None),
        ("On Monday I tried again and it wrote: nothing", None),
        ("On second thought, cancel it.\nPlease.", None),
        ("The total -- 5 euros -- is wrong", None),
    ],
)
def test_strip_quoted(text: str, expected: str | None) -> None:
    assert strip_quoted(text) == (text if expected is None else expected)


@pytest.mark.parametrize(
    "text",
    [
        "> only a quote\n> nothing else",
        "On Mon, Jan 1, 2024 at 10:00 AM Bob <bob@example.com> wrote:\n> only the quote",
        "-- \nonly a signature",
        "-----Original Message-----\nFrom: someone",
        "   ",
        "",
    ],
)
def test_strip_quoted_never_empties(text: str) -> None:
    assert strip_quoted(text) == text


def test_quoted_reply_is_stripped_from_the_body() -> None:
    msg = message(
        "Still broken.\n\nOn Tue, Feb 6, 2024 at 9:15 AM Imageko Support "
        "<support@imageko.com> wrote:\n> Could you try again?\n>\n> -- \n> Imageko",
        subject="Re: Upload problem",
        headers={
            "In-Reply-To": "<t1@imageko.com>",
            "References": "<t0@imageko.com> <t1@imageko.com>",
        },
    )
    parsed = parse(msg)

    assert parsed.text == "Still broken."
    assert parsed.in_reply_to == "<t1@imageko.com>"
    assert parsed.references == ("<t0@imageko.com>", "<t1@imageko.com>")


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_subject", "expected"),
    [
        ("=?UTF-8?B?wr9RdcOpIHRhbD8g8J+YgA==?=", "¿Qué tal? 😀"),
        ("=?utf-8?q?Probl=C3=A8me_d=27envoi?=", "Problème d'envoi"),
        ("=?ISO-8859-1?Q?Factura_n=BA_12_-_se=F1or?=", "Factura nº 12 - señor"),
        ("=?iso-8859-1?q?caf=E9?= =?utf-8?q?_cr=C3=A8me?=", "café crème"),
        ("=?utf-8?b?2YXYsdit2KjYpw==?= / =?utf-8?b?16nXnNeV150=?=", "مرحبا / שלום"),
        ("Plain ASCII subject", "Plain ASCII subject"),
        ("", ""),
    ],
)
def test_encoded_subjects_are_decoded(raw_subject: str, expected: str) -> None:
    raw = lines("From: bob@example.com", f"Subject: {raw_subject}")

    assert parse_email(raw).subject == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hola 😀👍🏽 ¿funciona?",
        "مرحبا، لا أستطيع تحميل الصور",
        "שלום, אני לא מצליח להעלות תמונות",
        "Ça ne marche pas : « erreur »\u200f",
    ],
)
def test_unicode_text_is_preserved(text: str) -> None:
    parsed = parse(message(text, subject=text))

    assert parsed.text == text
    assert parsed.subject == text


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("utf-8", "café".encode(), "café"),
        ("iso-8859-1", "café".encode("latin-1"), "café"),
        ("windows-1252", "€5".encode("cp1252"), "€5"),
        ("us-ascii", "mislabelled café".encode(), "mislabelled café"),
        ("x-unknown-42", "café".encode(), "café"),  # unknown: read as UTF-8
        ("rot13", b"hello", "hello"),  # a codec, but not a text encoding
        ("utf-8", b"bad \xff\xfe bytes", "bad \ufffd\ufffd bytes"),
    ],
)
def test_body_charsets(charset: str, body: bytes, expected: str) -> None:
    raw = (
        b"From: bob@example.com\r\nMIME-Version: 1.0\r\n"
        + f'Content-Type: text/plain; charset="{charset}"\r\n'.encode()
        + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + body
    )

    assert parse_email(raw).text == expected


def test_invalid_utf8_in_headers() -> None:
    raw = (
        b"From: J\xc3\xbcrgen \xff <juergen@example.de>\r\n"
        b"To: support@imageko.com\r\n"
        b"Subject: Gr\xc3\xbc\xc3\x9fe \xfe\xff\r\n\r\n"
        b"Hallo \xc3\r\n"
    )
    parsed = parse_email(raw)

    assert parsed.sender == "juergen@example.de"
    assert parsed.sender_name == "Jürgen \ufffd"
    assert parsed.subject == "Grüße \ufffd\ufffd"
    assert parsed.text == "Hallo \ufffd"


# --- malformed MIME --------------------------------------------------------------------------

MULTIPART_HEAD = (
    b"From: bob@example.com\r\nSubject: broken\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
)


@pytest.mark.parametrize(
    ("raw", "text", "attachments"),
    [
        (  # no closing boundary
            MULTIPART_HEAD + b"--XYZ\r\nContent-Type: text/plain\r\n\r\nstill readable\r\n",
            "still readable",
            0,
        ),
        (  # broken base64 in the text part, a truncated image after it
            MULTIPART_HEAD + b"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ!!!\r\n"
            b'--XYZ\r\nContent-Type: image/png; name="a.png"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAA\r\n",
            "Hello world",
            1,
        ),
        (  # the body uses another boundary than the one declared
            MULTIPART_HEAD + b"--OTHER\r\nContent-Type: text/plain\r\n\r\nfound anyway\r\n"
            b"--OTHER--\r\n",
            "found anyway",
            0,
        ),
        (  # multipart with no boundary at all
            b"From: bob@example.com\r\nContent-Type: multipart/mixed\r\n\r\njust text\r\n",
            "just text",
            0,
        ),
        (  # broken quoted-printable
            b"From: bob@example.com\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 =ZZ ok=\r\n",
            "café =ZZ ok",
            0,
        ),
        (  # headers only, no body
            b"From: bob@example.com\r\nSubject: nothing else",
            "",
            0,
        ),
    ],
)
def test_malformed_mime_is_read_best_effort(raw: bytes, text: str, attachments: int) -> None:
    parsed = parse_email(raw)

    assert parsed.sender == "bob@example.com"
    assert parsed.text == text
    assert len(parsed.attachments) == attachments


def test_mime_nested_too_deeply_keeps_the_headers() -> None:
    raw = b"From: bob@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    for level in range(3000):
        raw += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
    parsed = parse_email(raw + b"Content-Type: text/plain\r\n\r\nhello\r\n")

    assert (parsed.sender, parsed.subject, parsed.text) == ("bob@example.com", "deep", "")
    assert parsed.dropped == ("message body not read: MIME structure could not be read",)


def test_a_flood_of_mime_parts_is_not_split() -> None:
    raw = MULTIPART_HEAD + b"--XYZ\r\n\r\nx\r\n" * 10_001 + b"--XYZ--\r\n"
    parsed = parse_email(raw)

    assert (parsed.sender, parsed.subject, parsed.text) == ("bob@example.com", "broken", "")
    assert parsed.dropped == ("message body not read: too many MIME parts",)


def test_many_dash_lines_in_a_plain_body_are_kept() -> None:
    raw = lines("From: bob@example.com", body="log:\r\n" + "--- entry\r\n" * 10_001)

    assert parse_email(raw).text.count("--- entry") == 10_001


def test_parts_beyond_the_limit_are_ignored() -> None:
    raw = MULTIPART_HEAD + (
        b"--XYZ\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
        + b"--XYZ\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n" * 1_000
        + b"--XYZ--\r\n"
    )
    parsed = parse_email(raw)

    assert parsed.text == "first"
    assert len(parsed.dropped) == 1_000
    assert parsed.dropped[-1] == "parts after the first 1000 were ignored"


def test_too_large_is_refused_before_parsing() -> None:
    head = b"From: bob@example.com\r\nSubject: big\r\n\r\n"
    raw = head + b"x" * (MAX_EMAIL_BYTES + 1 - len(head))

    with pytest.raises(TooLarge) as caught:
        parse_email(raw)
    assert isinstance(caught.value, BadEmail)
    assert str(MAX_EMAIL_BYTES + 1) in caught.value.reason


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty message"),
        (b" \r\n\r\n\t", "empty message"),
        (b"\r\n\r\nbody without any header", "no headers"),
        (b"just some words, no header at all\r\n", "no headers"),
        (b"\x00\x01\x02\xff\xfe", "no headers"),
    ],
)
def test_unreadable_messages_raise_bad_email(raw: bytes, reason: str) -> None:
    with pytest.raises(BadEmail) as caught:
        parse_email(raw)
    assert caught.value.reason == reason
    assert not isinstance(caught.value, TooLarge)


# --- attachments -----------------------------------------------------------------------------


def with_attachment(data: bytes, maintype: str, subtype: str, filename: str | None) -> EmailMessage:
    msg = message("See the attached file.")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\bob\\Desktop\\screen.png", "screen.png"),
        ("captura de pantalla.png", "captura de pantalla.png"),
        ("捕获.png", "捕获.png"),
        ("..", "attachment"),
        (".hidden.png", "hidden.png"),
        ("bad:name?.png", "bad_name_.png"),
        ("cod\u202egnp.exe", "codgnp.exe"),  # no right-to-left override disguising the extension
        ("x" * 150 + ".png", "x" * 96 + ".png"),
        (None, "attachment"),
    ],
)
def test_image_attachment_is_kept_with_a_safe_filename(filename: str | None, expected: str) -> None:
    parsed = parse(with_attachment(PNG, "image", "png", filename))

    assert parsed.attachments == (
        Attachment(filename=expected, content_type="image/png", data=PNG),
    )
    assert parsed.text == "See the attached file."
    assert parsed.dropped == ()


@pytest.mark.parametrize(
    ("part_headers", "expected"),
    [
        ('Content-Type: image/png; name="=?utf-8?q?r=C3=A9sum=C3=A9.png?="', "résumé.png"),
        (
            "Content-Type: image/png\r\n"
            "Content-Disposition: attachment; filename*=utf-8''captura%20de%20pantalla.png",
            "captura de pantalla.png",
        ),
        (
            "Content-Type: image/png\r\nContent-Disposition: attachment;\r\n"
            " filename*0*=utf-8''%E6%8D%95;\r\n filename*1*=%E8%8E%B7.png",
            "捕获.png",
        ),
        ('Content-Type: image/png; name="screen.png"', "screen.png"),  # no disposition
        (
            'Content-Type: image/png\r\nContent-Disposition: inline; filename="a\tb\x01c.png"',
            "a b c.png",
        ),
        ("Content-Type: image/png", "attachment"),
    ],
)
def test_filenames_from_raw_mime_headers(part_headers: str, expected: str) -> None:
    b64 = base64.b64encode(PNG).decode()
    raw = lines(
        "From: bob@example.com",
        'Content-Type: multipart/mixed; boundary="B"',
        body=(
            "--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\n"
            f"{part_headers}\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--B--\r\n"
        ),
    )
    parsed = parse_email(raw)

    assert [(a.filename, a.data) for a in parsed.attachments] == [(expected, PNG)]
    assert parsed.text == "hi"


@pytest.mark.parametrize(
    ("data", "declared", "sniffed"),
    [
        (PNG, "application/octet-stream", "image/png"),
        (JPEG, "image/png", "image/jpeg"),
        (GIF, "image/gif", "image/gif"),
        (WEBP, "application/octet-stream", "image/webp"),
        (b"GIF87a" + bytes(10), "image/gif", "image/gif"),
    ],
)
def test_content_type_is_sniffed_from_the_bytes(data: bytes, declared: str, sniffed: str) -> None:
    maintype, subtype = declared.split("/")
    parsed = parse(with_attachment(data, maintype, subtype, "file.bin"))

    assert [(a.content_type, a.data) for a in parsed.attachments] == [(sniffed, data)]
    assert sniffed in IMAGE_TYPES


@pytest.mark.parametrize(
    ("data", "declared", "filename", "reason"),
    [
        (EXE, "image/png", "logo.png", "logo.png: declared image/png but is not an image"),
        (
            EXE,
            "application/x-msdownload",
            "setup.exe",
            "setup.exe: application/x-msdownload is not an image",
        ),
        (
            b"%PDF-1.7\n",
            "application/pdf",
            "invoice.pdf",
            "invoice.pdf: application/pdf is not an image",
        ),
        (
            b"RIFF\x00\x00\x00\x00WAVE",
            "image/webp",
            "x.webp",
            "x.webp: declared image/webp but is not an image",
        ),
        (b"", "image/png", "empty.png", "empty.png: empty or unreadable image/png part"),
        (
            PNG + bytes(MAX_ATTACHMENT_BYTES),
            "image/png",
            "huge.png",
            f"huge.png: image too large ({len(PNG) + MAX_ATTACHMENT_BYTES} bytes, "
            f"limit {MAX_ATTACHMENT_BYTES})",
        ),
    ],
)
def test_non_images_and_oversize_images_are_dropped(
    data: bytes, declared: str, filename: str, reason: str
) -> None:
    maintype, subtype = declared.split("/")
    parsed = parse(with_attachment(data, maintype, subtype, filename))

    assert parsed.attachments == ()
    assert parsed.dropped == (reason,)
    assert parsed.text == "See the attached file."


def test_image_at_the_size_limit_is_kept() -> None:
    data = PNG + bytes(MAX_ATTACHMENT_BYTES - len(PNG))
    parsed = parse(with_attachment(data, "image", "png", "limit.png"))

    assert [len(a.data) for a in parsed.attachments] == [MAX_ATTACHMENT_BYTES]


def test_text_attachments_are_not_the_body() -> None:
    msg = message("the real body")
    msg.add_attachment("log line 1\nlog line 2", filename="log.txt")
    msg.add_attachment("<p>saved page</p>", subtype="html", filename="page.html")
    parsed = parse(msg)

    assert parsed.text == "the real body"
    assert parsed.dropped == (
        "log.txt: text/plain is not an image",
        "page.html: text/html is not an image",
    )


def test_forwarded_message_is_not_entered() -> None:
    inner = message("forwarded body", subject="inner")
    inner.add_attachment(PNG, maintype="image", subtype="png", filename="inner.png")
    msg = message("outer body")
    msg.add_attachment(inner)
    parsed = parse(msg)

    assert parsed.text == "outer body"
    assert parsed.attachments == ()
    assert parsed.dropped == ("attachment: message/rfc822 is not an image",)


# --- automated mail --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "envelope_sender"),
    [
        ({"Auto-Submitted": "auto-replied"}, None),
        ({"Auto-Submitted": "auto-generated; owner-email=x@y.z"}, None),
        ({"Precedence": "bulk"}, None),
        ({"Precedence": "junk"}, None),
        ({"Precedence": " List "}, None),
        ({"X-Autoreply": "yes"}, None),
        ({"X-Autorespond": "Out of office"}, None),
        ({"X-Auto-Response-Suppress": "All"}, None),
        ({"X-Auto-Response-Suppress": "DR, AutoReply"}, None),
        ({"List-Id": "Newsletter <news.example.com>"}, None),
        ({"List-Unsubscribe": "<mailto:unsubscribe@example.com>"}, None),
        ({}, ""),
        ({}, "<>"),
        ({"From": "MAILER-DAEMON@mx.example.com"}, None),
        ({"From": "Mail Delivery System <Postmaster@example.com>"}, None),
        ({"From": "MAILER-DAEMON (Mail Delivery System)"}, None),
        ({"Content-Type": 'multipart/report; report-type=delivery-status; boundary="r"'}, None),
    ],
)
def test_automated_signals(headers: dict[str, str], envelope_sender: str | None) -> None:
    header_lines = [f"{name}: {value}" for name, value in headers.items()]
    if "From" not in headers:
        header_lines.append("From: someone@example.com")
    raw = lines(
        *header_lines, "Subject: Automatic reply", body="--r\r\n\r\nI am away.\r\n--r--\r\n"
    )

    assert parse_email(raw, envelope_sender=envelope_sender).automated is True


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Auto-Submitted": "no"},
        {"Auto-Submitted": "No "},
        {"Precedence": "normal"},
        {"X-Auto-Response-Suppress": "OOF"},
    ],
)
def test_person_written_mail_is_not_automated(headers: dict[str, str]) -> None:
    parsed = parse(message(headers=headers), envelope_sender="bob.smith@example.com")

    assert parsed.automated is False


def test_null_sender_has_no_sender_address() -> None:
    parsed = parse(message(sender="Bob <bob@example.com>"), envelope_sender="<>")

    assert (parsed.sender, parsed.sender_name, parsed.automated) == ("", "Bob", True)


# --- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject_header",
    [
        "=?utf-8?q?Hello=0D=0ABcc:_victim@example.com?=",
        "=?utf-8?b?SGVsbG8NCkJjYzogdmljdGltQGV4YW1wbGUuY29t?=",
        "=?utf-8?q?Hello=0ABcc:_victim@example.com?=",
        "=?utf-8?q?Hello=0D?=\r\n =?utf-8?q?Bcc:_victim@example.com?=",
        "Hello\r\n Bcc: victim@example.com",
        "=?utf-8?q?Hello=E2=80=A8Bcc:=09victim@example.com=00?=",
    ],
)
def test_header_injection_in_subject_comes_out_as_one_line(subject_header: str) -> None:
    parsed = parse_email(lines("From: bob@example.com", f"Subject: {subject_header}"))

    assert parsed.subject == "Hello Bcc: victim@example.com"


@pytest.mark.parametrize(
    "from_header",
    [
        "=?utf-8?q?Bob=0D=0ABcc=3A_x=40y.z?= <bob@example.com>",
        "=?utf-8?b?Qm9iDQpCY2M6IHhAeS56?= <bob@example.com>",
        '"Bob\r\n Bcc: x@y.z" <bob@example.com>',
    ],
)
def test_sender_name_is_one_line(from_header: str) -> None:
    parsed = parse_email(lines(f"From: {from_header}"))

    assert (parsed.sender, parsed.sender_name) == ("bob@example.com", "Bob Bcc: x@y.z")


def test_long_subject_is_cut() -> None:
    parsed = parse_email(lines("From: bob@example.com", "Subject: " + "word " * 200))

    assert len(parsed.subject) <= 300
    assert parsed.subject.startswith("word word")
    assert not parsed.subject.endswith(" ")


def test_missing_message_id_is_stable() -> None:
    raw = lines("From: bob@example.com", "Subject: no id")
    other = lines("From: bob@example.com", "Subject: another")

    first = parse_email(raw).message_id
    assert first == parse_email(raw).message_id
    assert re.fullmatch(r"<[0-9a-f]{32}@missing\.imageko>", first)
    assert parse_email(other).message_id != first


@pytest.mark.parametrize(
    ("headers", "message_id", "in_reply_to", "references"),
    [
        (
            [
                "Message-ID: <new@mail.example.com>",
                "In-Reply-To: <t2@imageko.com>",
                "References: <t0@imageko.com>\r\n\t<t1@imageko.com>\r\n <t2@imageko.com>",
            ],
            "<new@mail.example.com>",
            "<t2@imageko.com>",
            ("<t0@imageko.com>", "<t1@imageko.com>", "<t2@imageko.com>"),
        ),
        (
            [
                "Message-ID: bare-id@host.example",
                "In-Reply-To: <t1@imageko.com> (Support's message of Monday)",
                "References: junk <t0@imageko.com>,<t1@imageko.com> <t0@imageko.com>",
            ],
            "<bare-id@host.example>",
            "<t1@imageko.com>",
            ("<t0@imageko.com>", "<t1@imageko.com>"),
        ),
        (
            ["Message-ID: <a@b>\r\nBcc: x@y", "In-Reply-To: not an id"],
            "<a@b>",
            None,
            (),
        ),
    ],
)
def test_thread_headers(
    headers: list[str],
    message_id: str,
    in_reply_to: str | None,
    references: tuple[str, ...],
) -> None:
    parsed = parse_email(lines("From: bob@example.com", *headers))

    assert (parsed.message_id, parsed.in_reply_to, parsed.references) == (
        message_id,
        in_reply_to,
        references,
    )


def test_recipients_from_to_cc_and_delivery_headers() -> None:
    raw = lines(
        "From: bob@example.com",
        'To: "Imageko Support" <Support@Imageko.com>, Alice <ALICE@example.com>',
        "Cc: alice@example.com, =?utf-8?q?Jos=C3=A9?= <jose@example.es>, undisclosed-recipients:;",
        "Delivered-To: help@imageko.com",
        "X-Original-To: support@imageko.com",
    )

    assert parse_email(raw).recipients == (
        "support@imageko.com",
        "alice@example.com",
        "jose@example.es",
        "help@imageko.com",
    )


@pytest.mark.parametrize(
    ("from_header", "envelope_sender", "sender", "name"),
    [
        ('"Smith, Bob" <Bob@Example.com>', None, "bob@example.com", "Smith, Bob"),
        (
            "=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@example.es>",
            None,
            "jose@example.es",
            "José Pérez",
        ),
        ("bob@example.com (Bob)", None, "bob@example.com", ""),
        (None, "<Bob@Example.com>", "bob@example.com", ""),
        ("not an address", "bob@example.com", "bob@example.com", ""),
        ("<>", "Bob@example.com", "bob@example.com", ""),
        ("Bob <bob@example.com>", "bounces@lists.example.com", "bob@example.com", "Bob"),
        (None, None, "", ""),
    ],
)
def test_sender(
    from_header: str | None, envelope_sender: str | None, sender: str, name: str
) -> None:
    headers = ["Subject: hi"] if from_header is None else [f"From: {from_header}", "Subject: hi"]
    parsed = parse_email(lines(*headers), envelope_sender=envelope_sender)

    assert (parsed.sender, parsed.sender_name) == (sender, name)


# --- fuzz ------------------------------------------------------------------------------------


def _sample() -> bytes:
    msg = message(
        "Hola,\n\nno puedo subir imágenes 😀\n\nEl lun, 1 ene 2024 a las 10:00, Soporte "
        "<support@imageko.com> escribió:\n> hola",
        html="<p>Hola <b>mundo</b> &amp; &eacute;</p><script>x()</script>",
        subject="Ayuda con la factura ñ",
        headers={"References": "<a@b> <c@d>", "Cc": "alice@example.com"},
    )
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="captura.png")
    msg.add_attachment(EXE, maintype="application", subtype="octet-stream", filename="x.exe")
    return msg.as_bytes()


_TOKENS = [
    b"\r\n",
    b"\n",
    b"--",
    b"\r\n\r\n",
    b"=?utf-8?b?",
    b"=?x-unknown-42?q?=E9",
    b"?=",
    b'charset="x-unknown-42"',
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
    b"<",
    b">",
    b'"',
    b"(",
    b"\\",
    b"<script>",
    b"&#xD800;",
]


def _fuzz_inputs(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    sample = _sample()
    inputs = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.2:
            inputs.append(rng.randbytes(rng.randint(0, 400)))
            continue
        if roll < 0.3:
            inputs.append(b"Subject: x\r\n" + rng.randbytes(rng.randint(0, 400)))
            continue
        data = bytearray(sample)
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(len(data) or 1)
            op = rng.randrange(6)
            if op == 0 and data:
                data[at] = rng.randrange(256)
            elif op == 1:
                del data[at : at + rng.randint(1, 50)]
            elif op == 2:
                data[at:at] = rng.choice(_TOKENS)
            elif op == 3:
                del data[at:]
            elif op == 4:
                data[at:at] = rng.randbytes(rng.randint(1, 20))
            else:
                start = rng.randrange(len(data) or 1)
                data[at:at] = data[start : start + rng.randint(1, 200)]
        inputs.append(bytes(data))
    return inputs


def test_fuzz_only_bad_email_escapes() -> None:
    envelopes = [None, "", "<>", "bob@example.com", "\udcff@x"]
    parsed_count = 0
    for index, raw in enumerate(_fuzz_inputs(300, seed=20240601)):
        try:
            parsed = parse_email(raw, envelope_sender=envelopes[index % len(envelopes)])
        except BadEmail:
            continue
        parsed_count += 1
        strings = [
            parsed.message_id,
            parsed.sender,
            parsed.sender_name,
            parsed.subject,
            parsed.text,
            *parsed.recipients,
            *parsed.references,
            *parsed.dropped,
            *(a.filename for a in parsed.attachments),
        ]
        for value in strings:
            value.encode("utf-8")  # no lone surrogates anywhere
        assert not re.search(r"[\r\n]", parsed.subject + parsed.sender_name)
        assert all(a.content_type in IMAGE_TYPES for a in parsed.attachments)
        assert all(len(a.data) <= MAX_ATTACHMENT_BYTES for a in parsed.attachments)
    assert parsed_count > 150  # the mutations mostly keep a readable message
