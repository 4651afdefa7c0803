"""Cutting long replies: within the limit as the platform counts, at the best boundary, never
inside a character as the reader sees it, and nothing lost."""

from __future__ import annotations

import random
import unicodedata

import pytest

from channels.base.text import graphemes, split_text, utf16_len

FAMILY = "👨‍👩‍👧‍👦"  # 7 code points, 11 UTF-16 units
FLAGS = "🇫🇷🇪🇸🇩🇪"
ARABIC = "مَرْحَبًا بِكُمْ فِي الدَّعْمِ"  # with harakat (combining marks)


def test_utf16_length_is_how_telegram_counts() -> None:
    assert [utf16_len(t) for t in ("a", "é", "e\u0301", "🙂", FAMILY, "")] == [1, 1, 2, 2, 11, 0]


def test_graphemes_keep_what_the_reader_sees_as_one() -> None:
    assert graphemes("e\u0301a") == ["e\u0301", "a"]
    assert graphemes(FAMILY + "x") == [FAMILY, "x"]
    assert graphemes("👍🏽👋") == ["👍🏽", "👋"]
    assert graphemes("❤️!") == ["❤️", "!"]  # with its variation selector
    assert graphemes(FLAGS + "🇮") == ["🇫🇷", "🇪🇸", "🇩🇪", "🇮"]
    assert graphemes("a\r\nb") == ["a", "\r\n", "b"]
    assert "".join(graphemes(ARABIC)) == ARABIC
    assert not any(unicodedata.combining(g[0]) for g in graphemes(ARABIC))


def test_short_and_empty_text() -> None:
    assert split_text("hola", 10) == ["hola"]
    assert split_text("", 10) == []
    with pytest.raises(ValueError, match="positive"):
        split_text("hola", 0)


def test_paragraphs_are_preferred_then_lines_then_words() -> None:
    text = "a" * 30 + "\n\n" + "b b" * 5 + "\n" + "c" * 10
    assert split_text(text, 50) == ["a" * 30, "b b" * 5 + "\n" + "c" * 10]
    text = "a a a " * 5 + "\n" + "b" * 20
    assert split_text(text, 40) == [("a a a " * 5).rstrip(), "b" * 20]
    assert split_text("uno dos tres cuatro", 9) == ["uno dos", "tres", "cuatro"]


def test_a_boundary_too_early_is_not_taken() -> None:
    # A paragraph break after 5 of 50 characters would leave a tiny message: cut at a word.
    text = "hola\n\n" + "palabra " * 12
    chunks = split_text(text, 50)
    assert len(chunks[0]) > 25
    assert " ".join(chunks).split() == text.split()


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_combining_marks_stay_on_their_letter() -> None:
    chunks = split_text("e\u0301" * 10, 5)  # 20 code points, no spaces
    assert chunks == ["e\u0301" * 2] * 5
    assert not any(unicodedata.combining(c[0]) for c in split_text(ARABIC * 3, 7))


def test_emoji_sequences_and_flags_are_never_cut() -> None:
    assert split_text(FAMILY * 4, 25, length=utf16_len) == [FAMILY * 2, FAMILY * 2]
    assert split_text(FLAGS, 5, length=utf16_len) == ["🇫🇷", "🇪🇸", "🇩🇪"]


def test_an_absurd_character_is_cut_between_code_points() -> None:
    zalgo = "a" + "\u0301" * 12
    chunks = split_text(zalgo, 5)
    assert "".join(chunks) == zalgo
    assert all(len(c) <= 5 for c in chunks)


def test_a_code_point_wider_than_the_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="longer than the limit"):
        split_text("🙂🙂", 1, length=utf16_len)


def test_any_text_is_cut_within_the_limit_losing_nothing() -> None:
    pieces = ["hola", "Café", "e\u0301", "👍🏽", FAMILY, "🇫🇷", "שלום", ARABIC, "画像", "x" * 9]
    separators = [" ", " ", " ", "\n", "\n\n", "  "]
    rng = random.Random(8)
    for _ in range(300):
        text = "".join(
            rng.choice(pieces) + rng.choice(separators) for _ in range(rng.randint(1, 60))
        )
        limit = rng.randint(12, 80)
        chunks = split_text(text, limit, length=utf16_len)
        assert all(0 < utf16_len(c) <= limit for c in chunks)
        assert "".join("".join(chunks).split()) == "".join(text.split())
        # Every piece fits the limit, so no word is cut.
        assert [w for c in chunks for w in c.split()] == text.split()
        assert not any(c[0] == "\u200d" or unicodedata.combining(c[0]) for c in chunks)
