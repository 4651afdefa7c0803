"""What customers are told when a ticket opens, in their language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.tickets.acks import Handoff, acknowledgment, format_due, joined

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
    assert text == "He reabierto tu ticket IMG-000009; el equipo lo retomará."


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Marta from support joined the conversation."),
        ("es", "Marta, del equipo de soporte, se ha unido a la conversación."),
        ("fr", "Marta, de l'équipe d'assistance, a rejoint la conversation."),
        ("de", "Marta from support joined the conversation."),
    ],
)
def test_the_agent_joining_is_announced_by_first_name(lang: str, expected: str) -> None:
    assert joined("Marta Ruiz", lang) == expected
