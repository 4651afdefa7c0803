"""What the customer is told when a ticket opens, in their language (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.language.detect import DEFAULT
from bot.triage.policy import QUEUE_TEAMS

_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
}

# `{team}` is the queue's team (policy.QUEUE_TEAMS): the customer learns who takes it, what
# happens next and by when (the SLA of its queue and plan).
_LIVE = {
    "en": "Your ticket is {number}. You are number {position} in the queue for our {team}; "
    "please stay in this chat. If you leave, we will reply here within {hours} hours, by {due} "
    "at the latest.",
    "es": "Tu ticket es el {number}. Eres el número {position} en la cola de nuestro {team}; "
    "quédate en este chat, por favor. Si te vas, te responderemos por aquí en un plazo de "
    "{hours} horas, como muy tarde el {due}.",
    "fr": "Votre ticket est le {number}. Vous êtes en position {position} dans la file d'attente "
    "de notre {team} ; restez dans cette conversation, s'il vous plaît. Si vous partez, nous "
    "vous répondrons ici sous {hours} heures, au plus tard le {due}.",
}
_ETA = {
    "en": "Your ticket is {number}. Our {team} will review it and reply here within {hours} "
    "hours, by {due} at the latest.",
    "es": "Tu ticket es el {number}. Nuestro {team} lo revisará y te responderá por aquí en un "
    "plazo de {hours} horas, como muy tarde el {due}.",
    "fr": "Votre ticket est le {number}. Notre {team} va l'examiner et vous répondra ici sous "
    "{hours} heures, au plus tard le {due}.",
}
_COMPLAINT = {
    "en": "We're sorry about this. Your complaint is registered as {number} and we acknowledge "
    "it now. Our {team} will send you a resolution plan within 5 to 7 business days, by {due} "
    "at the latest.",
    "es": "Sentimos lo ocurrido. Tu reclamación queda registrada como {number} y te confirmamos "
    "su recepción ahora. Nuestro {team} te enviará un plan de resolución en 5 a 7 días hábiles, "
    "como muy tarde el {due}.",
    "fr": "Nous sommes désolés. Votre réclamation est enregistrée sous le numéro {number} et nous "
    "en accusons réception dès maintenant. Notre {team} vous enverra un plan de résolution sous "
    "5 à 7 jours ouvrés, au plus tard le {due}.",
}
_REOPENED = {
    "en": "I've reopened your ticket {number}; our {team} will pick it up again.",
    "es": "He reabierto tu ticket {number}; nuestro {team} lo retomará.",
    "fr": "J'ai rouvert votre ticket {number} ; notre {team} va le reprendre.",
}


def team(queue: str, lang: str) -> str:
    """The team that works `queue`, named in `lang` (unknown queues: support)."""
    names = QUEUE_TEAMS.get(queue, QUEUE_TEAMS["support"])
    return names.get(lang, names[DEFAULT])


@dataclass(frozen=True, slots=True)
class Handoff:
    """What the customer needs to hear about their new ticket."""

    number: str
    lang: str
    due: datetime  # first response due, or the resolution deadline for complaints
    hours: int  # the first-response target, in hours
    live_position: int | None = None  # place in the live queue when live chat is open
    complaint: bool = False
    reopened: bool = False
    queue: str = "support"  # names the team that takes it


def format_due(due: datetime, lang: str) -> str:
    """`Fri 27 Nov, 15:00 GMT` in the customer's language (business hours are GMT)."""
    lang = lang if lang in _DAYS else DEFAULT
    due = due.astimezone(UTC)
    day = _DAYS[lang][due.weekday()]
    month = _MONTHS[lang][due.month - 1]
    return f"{day} {due.day} {month}, {due:%H:%M} GMT"


def acknowledgment(handoff: Handoff) -> str:
    """The message that tells the customer their ticket number and what happens next."""
    lang = handoff.lang if handoff.lang in _ETA else DEFAULT
    who = team(handoff.queue, lang)
    if handoff.reopened:
        return _REOPENED[lang].format(number=handoff.number, team=who)
    if handoff.complaint:
        template = _COMPLAINT[lang]
    elif handoff.live_position is not None:
        template = _LIVE[lang]
    else:
        template = _ETA[lang]
    return template.format(
        number=handoff.number,
        position=handoff.live_position,
        team=who,
        hours=handoff.hours,
        due=format_due(handoff.due, lang),
    )


_JOINED = {
    "en": "{name} from the {team} joined the conversation.",
    "es": "{name}, del {team}, se ha unido a la conversación.",
    "fr": "{name}, de l'{team}, a rejoint la conversation.",
}


def joined(agent_name: str, lang: str, queue: str = "support") -> str:
    """Said when an agent of `queue`'s team takes the conversation over (first name only)."""
    first = agent_name.split()[0] if agent_name.strip() else agent_name
    lang = lang if lang in _JOINED else DEFAULT
    return _JOINED[lang].format(name=first, team=team(queue, lang))
