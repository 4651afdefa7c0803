"""Tone and urgency: words of anger, repeated contact or a deadline (EN/ES/FR), found in what
the customer wrote, and the one-step priority raise they bring (SUPPORT_POLICY.md §1).

Pure. Patterns match accent-folded lowercase text; the words quoted back are the customer's
own, as written. A cue preceded, in its clause, by a negation ("I'm not angry", "no estoy
harto", "je ne suis pas furieux") does not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from bot.language.fold import fold
from bot.triage.policy import PRIORITY_RANK, Priority


class Kind(StrEnum):
    """Why a cue counts: the customer is angry, has written before, or has a deadline."""

    ANGER = "anger"
    REPEAT = "repeat"
    DEADLINE = "deadline"


# How many times, in each language ("four times", "cuatro veces", "quatre fois").
_TIMES_EN = (
    r"(?:two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|\d+) times|twice"
)
_TIMES_ES = r"(?:dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|varias|muchas|mil|\d+) veces"
_TIMES_FR = r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|plusieurs|mille|\d+) fois"
_NTH_ES = r"(?:segunda|tercera|cuarta|quinta|enesima)"
_NTH_FR = r"(?:deuxieme|troisieme|quatrieme|cinquieme|enieme|nieme)"

# The lexicon, per kind and language: accent-folded, lowercase, matched on word boundaries.
CUES: dict[Kind, dict[str, str]] = {
    Kind.ANGER: {
        "en": r"fed up|sick (?:and tired )?of|had enough|unacceptable|ridiculous|outrageous|"
        r"disgrace\w*|furious|angry|livid|frustrat(?:ed|ing)|(?:terrible|awful|worst) service",
        "es": r"(?:estoy|estamos) (?:muy |ya |bastante )?(?:hart[oa]s?|cansad[oa]s?|furios[oa]s?|"
        r"enfadad[oa]s?|indignad[oa]s?)|hart[oa]s? de|inaceptable|intolerable|"
        r"(?:una|que) verguenza|vergonzoso|indignante|ya basta",
        "fr": r"j'en ai (?:vraiment |trop )?marre|ras[ -]le[ -]bol|inadmissible|inacceptable|"
        r"scandaleux|honteux|une honte|n'importe quoi|furieux|furieuse|en colere|"
        r"excede\w*|frustr\w*",
    },
    Kind.REPEAT: {
        "en": r"(?:written|wrote|emailed|messaged|contacted|asked|reported|chased|complained|"
        r"called)(?: (?:to )?(?:you|this|it|about (?:this|it)|already|in))* (?:" + _TIMES_EN + r")|"
        r"(?:" + _TIMES_EN + r") already|"
        r"(?:for|this is|it's|it is) the (?:second|third|fourth|fifth|nth) time|"
        r"yet again|again and again|still no (?:reply|answer|response)|"
        r"no ?one (?:has )?(?:replied|answered|responded|got back)",
        "es": r"(?:he|te he|os he|les he) (?:escrito|llamado|contactado|preguntado|reclamado)"
        r"(?: ya)? (?:" + _TIMES_ES + r")|(?:" + _TIMES_ES + r") (?:ya )?que (?:os |les |te )?"
        r"(?:escribo|llamo|pregunto)|por " + _NTH_ES + r" vez|sigo sin (?:recibir )?respuesta|"
        r"nadie (?:me )?(?:ha )?(?:respondido|contestado|responde|contesta)",
        "fr": r"(?:j'ai|je vous ai|nous avons|on a) (?:deja )?(?:ecrit|appele|contacte|signale|"
        r"relance|demande)(?: deja)? (?:"
        + _TIMES_FR
        + r")|(?:ca|cela) fait (?:"
        + _TIMES_FR
        + r") que|(?:c'est )?(?:la|pour la) "
        + _NTH_FR
        + r" fois|toujours (?:pas de|aucune) reponse|personne ne (?:me )?(?:repond|rappelle)",
    },
    Kind.DEADLINE: {
        "en": r"before (?:my|our|the|a) (?:\w+ )?(?:meeting|presentation|deadline|launch|demo|"
        r"pitch|call|event)|(?:my|our|a|tight) deadline|asap|as soon as possible|urgently",
        "es": r"antes de (?:mi|la|nuestra|una) (?:\w+ )?(?:reunion|presentacion|entrega|cita|"
        r"llamada|demo)|(?:mi|una|la) fecha limite|cuanto antes|lo antes posible|urgentemente",
        "fr": r"avant (?:ma|mon|notre|la|le|une|un) (?:\w+ )?(?:reunion|presentation|rendez-vous|"
        r"rdv|echeance|demo|livraison)|(?:ma|une|mon) (?:date limite|deadline|echeance)|"
        r"au plus vite|des que possible|le plus vite possible|de toute urgence",
    },
}

# Negations that, a few words before a cue in the same clause, cancel it.
NEGATIONS = frozenset({"not", "never", "no", "nunca", "tampoco", "ni", "pas", "ne", "jamais"})
NEGATION_WINDOW = 3  # words looked at before a cue
# A clause ends at punctuation or a joining word: "no funciona y estoy harto" is upset.
_CLAUSE = re.compile(r"[.,;:!?()\n]|\b(?:and|but|so|y|pero|et|mais|donc)\b")
_WORD = re.compile(r"[\w']+")
# The NLU intent whose presence in the ranking says the customer is complaining (domain.yml).
NLU_UPSET_INTENT = "complaint"
NLU_UPSET_FLOOR = 0.3  # its score, when another intent won, from which it counts
NLU_CUE = "complaint (NLU)"


@dataclass(frozen=True, slots=True)
class Cue:
    """One cue found: its kind and the customer's words that carry it."""

    kind: Kind
    words: str


@cache
def _pattern(kind: Kind) -> re.Pattern[str]:
    # Every language at once: short messages are often detected as the wrong language, and
    # the three lexicons do not collide.
    return re.compile(r"\b(?:" + "|".join(CUES[kind].values()) + r")\b")


def _folded(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, where it came from in `text`."""
    out: list[str] = []
    origin: list[int] = []
    for at, char in enumerate(text.replace("\u2019", "'")):
        piece = fold(char)
        out.append(piece)
        origin.extend([at] * len(piece))
    return "".join(out), origin


def _negated(folded: str, start: int) -> bool:
    clause = _CLAUSE.split(folded[:start])[-1]
    before = _WORD.findall(clause)[-NEGATION_WINDOW:]
    return any(w in NEGATIONS or w.endswith("n't") or w.startswith("n'") for w in before)


def spans(pattern: re.Pattern[str], text: str) -> list[str]:
    """The customer's own words where a folded-text `pattern` matches `text`, in order."""
    folded, origin = _folded(text)
    return [text[origin[m.start()] : origin[m.end() - 1] + 1] for m in pattern.finditer(folded)]


def cues(text: str) -> list[Cue]:
    """Every tone cue in `text`, in order, negated ones left out."""
    folded, origin = _folded(text)
    found: list[tuple[int, Cue]] = []
    for kind in Kind:
        for match in _pattern(kind).finditer(folded):
            if _negated(folded, match.start()):
                continue
            words = text[origin[match.start()] : origin[match.end() - 1] + 1]
            found.append((match.start(), Cue(kind, words)))
    return [cue for _, cue in sorted(found, key=lambda item: item[0])]


def nlu_signal(intent: str, ranking: Sequence[tuple[str, float]]) -> bool:
    """Whether the NLU hears a complaint behind another topic (the complaint topic itself
    already carries its priority, so it is not counted twice)."""
    return intent != NLU_UPSET_INTENT and any(
        name == NLU_UPSET_INTENT and score >= NLU_UPSET_FLOOR for name, score in ranking
    )


def words_of(texts: Iterable[str]) -> list[str]:
    """The distinct cue words of several messages, first seen first."""
    seen: dict[str, str] = {}
    for text in texts:
        for cue in cues(text):
            seen.setdefault(cue.words.lower(), cue.words)
    return list(seen.values())


def one_step_up(priority: str) -> str:
    """The next priority up; the top one stays where it is."""
    by_rank = sorted(PRIORITY_RANK, key=PRIORITY_RANK.__getitem__)  # most pressing first
    rank = PRIORITY_RANK.get(priority, PRIORITY_RANK[Priority.NORMAL])
    return by_rank[max(rank - 1, 0)]
