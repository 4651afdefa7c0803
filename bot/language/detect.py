"""Per-message language detection, offline, with a detector made for short text (lingua)."""

from __future__ import annotations

import re
from functools import cache

from lingua import ConfidenceValue, Language, LanguageDetector, LanguageDetectorBuilder

from bot.language.fold import fold

SUPPORTED = ("en", "es", "fr")
DEFAULT = "en"

# Detected so that a German or Italian message is recognised as *not* one of ours (policy §6),
# instead of being forced onto the nearest supported language.
_CANDIDATES = (
    Language.ENGLISH,
    Language.SPANISH,
    Language.FRENCH,
    Language.GERMAN,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DUTCH,
    Language.POLISH,
    Language.TURKISH,
    Language.RUSSIAN,
    Language.ARABIC,
    Language.CHINESE,
    Language.JAPANESE,
)

# Chat openers are one or two words, where character n-grams cannot tell "hola" from
# Portuguese (lingua gives it 0.22). Words that open or close a support chat decide those.
_SHORT_WORDS = {
    "en": "hello hi hey thanks thank thx bye goodbye morning evening afternoon cheers please "
    "yes yeah yep help",
    "es": "hola gracias adios buenas buenos dias tardes noches vale chao porfa ayuda saludos "
    "hasta luego muchas si claro",
    "fr": "bonjour salut merci bonsoir coucou oui revoir svp aide beaucoup bonne journee soiree",
}
_WORD_LANG = {word: lang for lang, words in _SHORT_WORDS.items() for word in words.split()}
_SHORT_TEXT_WORDS = 3

# Confidence a supported language needs to win; an unsupported one needs more, so that a
# garbled Spanish message is not declined as Portuguese.
MIN_SUPPORTED = 0.35
MIN_UNSUPPORTED = 0.6
# lingua spreads its confidence over all 13 candidates, so a plain question in French may get
# 0.29 with Italian far behind: a supported language that clearly leads wins too.
MIN_LEADING = 0.2
LEAD_RATIO = 1.5

_WORD = re.compile(r"[^\W\d_]+")
# What carries no language: e-mail addresses, links, @handles, and any token with a digit in it
# (codes, order and ticket numbers, amounts, dates), and our own name.
_NO_LANGUAGE = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+|@\w+|\S*\d\S*|imageko", re.IGNORECASE)
# Switching a conversation that already has a supported language takes a message of at least
# this many words and letters, confidently in the other language.
SWITCH_WORDS = 4
SWITCH_LETTERS = 16
MIN_SWITCH = 0.6


def _from_short_words(text: str) -> str | None:
    words = _WORD.findall(fold(text))
    if not words or len(words) > _SHORT_TEXT_WORDS:
        return None
    langs = {_WORD_LANG[word] for word in words if word in _WORD_LANG}
    return langs.pop() if len(langs) == 1 else None


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_CANDIDATES).build()


def warm_up() -> None:
    """Load the detector's models now rather than on the first customer message."""
    _detector().detect_language_of("warm up")


def detect(text: str, previous: str | None = None) -> str:
    """ISO 639-1 code of `text`, given the conversation's language so far (`previous`).

    A conversation keeps its language: only a message long enough to judge, and confidently in
    another language, switches it. Addresses, links, codes, numbers and emoji carry no
    language and are left out before judging, so "maria@example.es" or "482913" after a
    Spanish message is still Spanish. With no supported language yet (a new conversation, or
    one held in a language we do not serve), short openers such as "hola" or "yes" decide.
    """
    fallback = previous or DEFAULT
    words = " ".join(_WORD.findall(_NO_LANGUAGE.sub(" ", text)))
    if not words:
        return fallback
    settled = previous in SUPPORTED
    if not settled:
        short = _from_short_words(words)
        if short is not None:
            return short
    elif len(words.split()) < SWITCH_WORDS or len(words) < SWITCH_LETTERS:
        return fallback
    values = _detector().compute_language_confidence_values(words)
    if not values:
        return fallback
    best = values[0]
    code = str(best.language.iso_code_639_1.name).lower()
    if code == previous:
        return code
    needed = MIN_SUPPORTED if code in SUPPORTED else MIN_UNSUPPORTED
    if settled:
        needed = max(needed, MIN_SWITCH)
    elif code in SUPPORTED and _leads(values):
        return code
    return code if best.value >= needed else fallback


def _leads(values: list[ConfidenceValue]) -> bool:
    """The best language is far ahead of the next one, though short of MIN_SUPPORTED."""
    best, second = values[0].value, values[1].value if len(values) > 1 else 0.0
    return best >= MIN_LEADING and best >= LEAD_RATIO * second
