"""Per-message language detection, offline, with a detector made for short text (lingua)."""

from __future__ import annotations

import re
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

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

_WORD = re.compile(r"[^\W\d_]+")


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
    """ISO 639-1 code of `text`; keeps `previous` (else English) when the text is inconclusive."""
    fallback = previous or DEFAULT
    if not any(ch.isalpha() for ch in text):
        return fallback
    short = _from_short_words(text)
    if short is not None:
        return short
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return fallback
    best = values[0]
    code = str(best.language.iso_code_639_1.name).lower()
    needed = MIN_SUPPORTED if code in SUPPORTED else MIN_UNSUPPORTED
    return code if best.value >= needed else fallback
