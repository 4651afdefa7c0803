"""What a short customer reply means, whatever the bot asked: a person, stop, yes, thanks,
"that didn't help". Pure functions over the cue tables in `bot.triage.policy`."""

from __future__ import annotations

import re

from bot.language.fold import fold
from bot.triage.policy import (
    APPEAL_CUES,
    APPEAL_TOPICS,
    CLOSING_MAX_WORDS,
    CLOSING_WORDS,
    HUMAN_CUES,
    NOT_HELPED_CUES,
    PERSON_WORDS,
    STOP_PHRASES,
    TRIED_CUES,
    YES_WORDS,
)
from bot.triage.routing import has_cue

# Politeness around a short reply ("stop please", "a person, thanks") changes nothing.
_POLITE = "please pls plz thanks por favor gracias s'il vous plait svp merci"
# Filler around a request for a person said in a word or two ("a human please").
_FILLER = "a an the to un una une la le des with con avec speak talk hablar"
_PERSON_MAX_WORDS = 4
_WORD = re.compile(r"[\w']+")
_SETS = (_POLITE, _FILLER, PERSON_WORDS, YES_WORDS, CLOSING_WORDS)
POLITE, FILLER, PERSON, YES, CLOSING = (frozenset(words.split()) for words in _SETS)


def words(text: str) -> list[str]:
    """The reply's words, accent-folded, typographic apostrophes made plain."""
    return _WORD.findall(fold(text.replace("\u2019", "'")))


def _plain(text: str) -> str:
    """The reply without its politeness, as one line of words."""
    kept = [word for word in words(text) if word not in POLITE]
    return " ".join(kept)


def asks_for_person(text: str, lang: str) -> bool:
    """A person is asked for: in a phrase ("can someone from your team look") or a word."""
    if has_cue(HUMAN_CUES, text, lang):
        return True
    said = [word for word in words(text) if word not in POLITE and word not in FILLER]
    return 0 < len(said) <= _PERSON_MAX_WORDS and any(word in PERSON for word in said)


def wants_to_stop(text: str) -> bool:
    """The whole reply says stop / cancel / never mind, in any of the three languages (a
    sentence that merely contains "cancel", like "cancel my plan", is not a stop)."""
    plain = _plain(text)
    # One stop, or several in a row ("para, déjalo", "stop, laissez tomber").
    return any(
        re.fullmatch(f"(?:{pattern})(?: (?:{pattern}))*", plain)
        for pattern in STOP_PHRASES.values()
    )


def says_yes(text: str) -> bool:
    """A yes in a word or two, in any of the languages customers try ("sí", "oui", "ja")."""
    said = words(text)
    return 0 < len(said) <= 3 and said[0] in YES


def is_closing(text: str) -> bool:
    """A thank-you or sign-off and nothing else ("cool ty", "vale, gracias", "parfait")."""
    said = words(text)
    return 0 < len(said) <= CLOSING_MAX_WORDS and all(word in CLOSING for word in said)


def did_not_help(text: str, lang: str) -> bool:
    """The customer says the help did not solve it ("still broken", "ya lo probé")."""
    return has_cue(TRIED_CUES, text, lang) or has_cue(NOT_HELPED_CUES, text, lang)


def still_needs_people(text: str, lang: str, topic: str) -> bool:
    """After an answer on `topic`: it did not help, a person is asked for, or (a flagged
    prompt) the decision is appealed. The topic goes to its people either way."""
    appeal = topic in APPEAL_TOPICS and has_cue(APPEAL_CUES, text, lang)
    return appeal or did_not_help(text, lang) or asks_for_person(text, lang)
