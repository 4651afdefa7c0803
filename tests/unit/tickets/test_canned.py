"""Canned responses agents insert into replies."""

from __future__ import annotations

from bot.tickets import canned


def test_canned_responses_exist_in_every_language_with_english_as_fallback() -> None:
    counts = {lang: len(items) for lang, items in canned.CANNED.items()}
    assert counts == {"en": 5, "es": 5, "fr": 5}
    assert canned.responses("de") == canned.CANNED["en"]
