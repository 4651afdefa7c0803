"""What customers are told when a ticket opens, in their language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.tickets.acks import Handoff, acknowledgment, format_due, joined, team

DUE = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Fri 27 Nov, 15:00 GMT"),
        ("es", "vie 27 nov, 15:00 GMT"),
        ("fr", "ven. 27 nov., 15:00 GMT"),
        ("de", "Fri 27 Nov, 15:00 GMT"),  # unsupported: English
    ],
)
def test_due_times_read_naturally_in_gmt(lang: str, expected: str) -> None:
    assert format_due(DUE, lang) == expected
    paris = DUE.astimezone(timezone(timedelta(hours=1)))
    assert format_due(paris, lang) == expected  # the same instant, whatever zone it came in


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_expected_response_time_names_the_ticket_hours_and_due(lang: str) -> None:
    text = acknowledgment(Handoff(number="IMG-000042", lang=lang, due=DUE, hours=24))
    assert "IMG-000042" in text
    assert "24" in text
    assert format_due(DUE, lang) in text


@pytest.mark.parametrize(
    ("lang", "word"), [("en", "queue"), ("es", "cola"), ("fr", "file d'attente")]
)
def test_live_queue_position(lang: str, word: str) -> None:
    text = acknowledgment(
        Handoff(number="IMG-000042", lang=lang, due=DUE, hours=12, live_position=3)
    )
    assert "IMG-000042" in text
    assert " 3 " in text
    assert word in text
    assert format_due(DUE, lang) in text  # every ticket names its due time


@pytest.mark.parametrize(
    ("lang", "days"),
    [("en", "5 to 7 business days"), ("es", "5 a 7 días hábiles"), ("fr", "5 à 7 jours ouvrés")],
)
def test_complaints_get_the_resolution_timeline(lang: str, days: str) -> None:
    text = acknowledgment(
        Handoff(number="IMG-000007", lang=lang, due=DUE, hours=24, complaint=True)
    )
    assert days in text
    assert "IMG-000007" in text
    assert format_due(DUE, lang) in text


def test_reopened_ticket_says_so() -> None:
    text = acknowledgment(Handoff(number="IMG-000009", lang="es", due=DUE, hours=24, reopened=True))
    assert text == "He reabierto tu ticket IMG-000009; nuestro equipo de soporte lo retomará."


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Marta from the support team joined the conversation."),
        ("es", "Marta, del equipo de soporte, se ha unido a la conversación."),
        ("fr", "Marta, de l'équipe d'assistance, a rejoint la conversation."),
        ("de", "Marta from the support team joined the conversation."),
    ],
)
def test_the_agent_joining_is_announced_by_first_name(lang: str, expected: str) -> None:
    assert joined("Marta Ruiz", lang) == expected


@pytest.mark.parametrize(
    ("queue", "lang", "name"),
    [
        ("support", "en", "Our support team will review it and reply here within 6 hours"),
        ("trust", "en", "Our Trust & Safety team will review it and reply here within 6 hours"),
        ("urgent", "en", "Our urgent security team will review it and reply here within 6 hours"),
        ("trust", "es", "Nuestro equipo de Confianza y Seguridad lo revisará"),
        ("urgent", "es", "Nuestro equipo de seguridad urgente lo revisará"),
        ("trust", "fr", "Notre équipe Confiance et Sécurité va l'examiner"),
        ("urgent", "fr", "Notre équipe de sécurité urgente va l'examiner"),
    ],
)
def test_the_ack_names_the_queue_team_and_its_sla(queue: str, lang: str, name: str) -> None:
    text = acknowledgment(Handoff(number="IMG-000042", lang=lang, due=DUE, hours=6, queue=queue))
    assert name in text
    assert "6" in text
    assert format_due(DUE, lang) in text


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_live_queue_complaint_and_reopen_name_the_team_too(lang: str) -> None:
    who = team("trust", lang)
    for handoff in (
        Handoff(number="IMG-1", lang=lang, due=DUE, hours=12, live_position=2, queue="trust"),
        Handoff(number="IMG-1", lang=lang, due=DUE, hours=24, complaint=True, queue="trust"),
        Handoff(number="IMG-1", lang=lang, due=DUE, hours=24, reopened=True, queue="trust"),
    ):
        assert who in acknowledgment(handoff)
    live = Handoff(number="IMG-1", lang=lang, due=DUE, hours=12, live_position=2)
    assert "12" in acknowledgment(live)  # what happens if they leave, and by when


def test_unknown_queue_or_language_falls_back_to_support_in_english() -> None:
    assert team("billing", "de") == "support team"
    expected = "Ana, de l'équipe de sécurité urgente, a rejoint la conversation."
    assert joined("Ana", "fr", "urgent") == expected
