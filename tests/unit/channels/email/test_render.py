"""Outbound mail: threaded headers, text + HTML, and subjects that cannot inject headers."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.email.render import clean_header, compose, reply_subject

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _reply(**overrides: object) -> dict[str, str]:
    args: dict[str, object] = {
        "to": "ana@example.com",
        "sender": "support@imageko.com",
        "subject": "Re: [IMG-000001] charged twice",
        "text": "Hello <script>alert(1)</script>\n\nSecond paragraph",
        "lang": "es",
        "now": NOW,
        "in_reply_to": "<c2@mail.example>",
        "references": ["<root@mail.example>", "<ack@imageko.com>"],
    }
    args.update(overrides)
    message = compose(**args)  # type: ignore[arg-type]
    return {
        "headers": dict(message.items()),  # type: ignore[dict-item]
        "text": message.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
        "html": message.get_body(("html",)).get_content(),  # type: ignore[union-attr]
    }


def test_replies_are_threaded_under_the_customer_message() -> None:
    headers = _reply()["headers"]
    assert headers["In-Reply-To"] == "<c2@mail.example>"
    assert headers["References"] == "<root@mail.example> <ack@imageko.com> <c2@mail.example>"
    assert headers["Message-ID"].endswith("@imageko.com>")
    assert headers["Content-Language"] == "es"
    assert "Auto-Submitted" not in headers  # a person's reply


def test_long_threads_keep_their_root() -> None:
    refs = [f"<m{i}@x>" for i in range(30)]
    chain = _reply(references=refs, in_reply_to="<last@x>")["headers"]["References"].split()
    assert chain[0] == "<m0@x>"
    assert chain[-1] == "<last@x>"
    assert len(chain) == 20


def test_acknowledgments_say_they_are_automatic() -> None:
    assert _reply(auto_reply=True)["headers"]["Auto-Submitted"] == "auto-replied"


def test_text_and_escaped_html() -> None:
    body = _reply()
    assert "<script>" in body["text"]  # plain text is shown as typed
    assert "<script>" not in body["html"]
    assert "&lt;script&gt;" in body["html"]
    assert body["html"].count("<p>") == 2


def test_subjects_cannot_inject_headers() -> None:
    evil = "help\r\nBcc: everyone@example.com"
    assert clean_header(evil) == "help Bcc: everyone@example.com"
    headers = _reply(subject=evil)["headers"]
    assert "Bcc" not in headers
    assert headers["Subject"] == "help Bcc: everyone@example.com"


def test_reply_subjects_get_one_prefix_and_the_ticket_tag() -> None:
    assert reply_subject("charged twice", "IMG-000042") == "Re: [IMG-000042] charged twice"
    assert reply_subject("RE: [IMG-000042] charged twice", "IMG-000042") == (
        "RE: [IMG-000042] charged twice"
    )
    assert reply_subject("", None) == "Re: imageko support"


def test_a_markdown_reply_is_plain_text_and_safe_html() -> None:
    body = _reply(
        text="Open **Library**.\n\n[Bulk download](https://imageko.com/help/en/bulk-download)"
        "\n\nBest,\nAnna"
    )
    assert body["text"].strip() == (
        "Open Library.\n\nBulk download (https://imageko.com/help/en/bulk-download)\n\nBest,\nAnna"
    )
    assert "<strong>Library</strong>" in body["html"]
    assert 'href="https://imageko.com/help/en/bulk-download"' in body["html"]
    assert "Best,<br>\nAnna" in body["html"]  # a typed line break stays one
