"""Text analysis for the lexical index: accent folding, tokens, per-language stemming."""

from __future__ import annotations

import re
from functools import cache

import snowballstemmer

from bot.language.fold import fold

_STEMMERS = {"en": "english", "es": "spanish", "fr": "french"}
_TOKEN = re.compile(r"[^\W_]+")
MAX_QUERY_CHARS = 1000  # a 10 KB paste is cut: the question is in its first lines


@cache
def _stemmer(lang: str) -> snowballstemmer.Stemmer | None:
    name = _STEMMERS.get(lang)
    return snowballstemmer.stemmer(name) if name else None


def tokens(text: str, lang: str) -> list[str]:
    """Stemmed tokens of `text` in `lang` (unknown languages are not stemmed)."""
    words = [w for w in _TOKEN.findall(fold(text)) if len(w) > 1 or w.isdigit()]
    stemmer = _stemmer(lang)
    return stemmer.stemWords(words) if stemmer else words


def clean_query(text: str) -> str:
    """The part of a query worth searching: whitespace collapsed, length capped."""
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def has_words(text: str) -> bool:
    """Whether `text` has anything to search for (emoji-only or punctuation does not)."""
    return _TOKEN.search(text) is not None
