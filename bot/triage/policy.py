"""The support policy's topic table (SUPPORT_POLICY.md §1) as data: the one place it lives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum


class Action(StrEnum):
    """What the bot does with a topic."""

    ANSWER = "answer"
    HANDOFF = "handoff"
    RECORD = "record"
    SMALLTALK = "smalltalk"
    DECLINE = "decline"
    CLARIFY = "clarify"


@dataclass(frozen=True, slots=True)
class Topic:
    """One row of the policy table; queue, tier and priority only for topics handed to people."""

    id: str
    category: str
    action: Action
    queue: str | None = None
    tier: int | None = None
    priority: str | None = None


_A, _H = Action.ANSWER, Action.HANDOFF
TOPICS: dict[str, Topic] = {
    t.id: t
    for t in (
        Topic("greeting", "smalltalk", Action.SMALLTALK),
        Topic("goodbye", "smalltalk", Action.SMALLTALK),
        Topic("thanks", "smalltalk", Action.SMALLTALK),
        Topic("generation_failed", "technical", _A, "support", 2, "normal"),
        Topic("download_hires", "technical", _A, "support", 2, "normal"),
        Topic("charged_twice", "billing", _H, "support", 1, "high"),
        Topic("refund_request", "billing", _H, "support", 1, "normal"),
        Topic("cancel_subscription", "billing", _A, "support", 1, "normal"),
        Topic("payment_fraud", "billing", _H, "urgent", 2, "urgent"),
        Topic("prompt_flagged", "content", _A, "trust", 2, "normal"),
        Topic("copyright_report", "content", _H, "trust", 3, "high"),
        Topic("abuse_report", "content", _H, "trust", 2, "high"),
        Topic("account_hacked", "account_security", _H, "urgent", 2, "urgent"),
        Topic("lost_email_access", "account_security", _H, "support", 2, "high"),
        Topic("password_reset", "account_security", _A, "support", 1, "normal"),
        Topic("service_status", "proactive", _A),
        Topic("contact_info", "info", _A),
        Topic("feedback", "feedback", Action.RECORD),
        Topic("bug_report", "technical", _H, "support", 2, "normal"),
        Topic("complaint", "complaint", _H, "support", 1, "high"),
        Topic("human_request", "handoff", _H, "support", 1, "normal"),
        Topic("data_privacy", "account_security", _H, "support", 2, "normal"),
        Topic("out_of_scope", "other", Action.DECLINE),
    )
}

# Help-centre articles that no single topic brings a customer to (plans, prompt tips).
GENERAL_ARTICLE_TOPIC = "general"


class Priority(StrEnum):
    """Ticket priority, lowest first."""

    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


URGENT_QUEUE = "urgent"
# The team queues and the address whose mail lands in each (policy §4).
QUEUES: dict[str, str] = {
    "support": "support@imageko.com",
    "trust": "trust@imageko.com",
    "urgent": "urgent@imageko.com",
}
MAX_TIER = 3  # tier 3: developers and legal; nothing above it
# Who works each queue, as customers are told it (acknowledgments, an agent joining); written
# to follow "our" / "nuestro" / "notre" and "the" / "del" / "de l'".
QUEUE_TEAMS: dict[str, dict[str, str]] = {
    "support": {"en": "support team", "es": "equipo de soporte", "fr": "équipe d'assistance"},
    "trust": {
        "en": "Trust & Safety team",
        "es": "equipo de Confianza y Seguridad",
        "fr": "équipe Confiance et Sécurité",
    },
    "urgent": {
        "en": "urgent security team",
        "es": "equipo de seguridad urgente",
        "fr": "équipe de sécurité urgente",
    },
}
# Order of work in a queue: most pressing first, then the earliest due.
PRIORITY_RANK: dict[str, int] = {"urgent": 0, "high": 1, "normal": 2}
# Plans whose `normal` priority becomes `high` (policy §1: premium/enterprise raise).
PRIORITY_PLANS = frozenset({"premium", "enterprise"})

# Words of fraud, stolen cards, hacked accounts and breaches raise anything handed to people to
# `urgent` and send it to the urgent queue (policy §1). Accent-folded, lowercase, word-bounded.
URGENT_CUES = {
    "en": r"fraud\w*|stolen|steal\w*|hack(?:ed|er|ers|ing)?|breach\w*|compromised|"
    r"unauthori[sz]ed|identity theft|scam\w*",
    "es": r"fraud\w*|robad[ao]s?|robo|hacke\w*|jacke\w*|vulnerad[ao]|brecha|"
    r"no autori[cz]\w*|suplanta\w*|estafa\w*|comprometid[ao]",
    "fr": r"fraud\w*|vol(?:e|ee|es|ees)?|pirat\w*|hack\w*|compromis\w*|non autoris\w*|"
    r"usurpation|arnaque\w*|escroquer\w*|faille",
}

# An `answer` topic goes to people when the customer asks for one, or says the self-service
# steps did not work (policy §1: "insists on a person", "says it did not help").
HUMAN_CUES = {
    "en": r"(?:real|actual|live) (?:person|human|agent)|(?:a|to a|with a|speak to|talk to) "
    r"(?:human|person|agent|someone)|customer (?:service|support) (?:agent|rep)|"
    r"(?:someone|somebody|anyone|a member|a person|people) (?:on|from|of|in) (?:your|the) "
    r"(?:team|staff|support)|(?:can|could) (?:someone|somebody|a person) "
    r"(?:check|look|review|help|cancel|fix)|(?:is|are) (?:there )?(?:anyone|anybody|someone) "
    r"(?:real|there|human|reading)|(?:am i|are you) (?:talking|chatting|speaking) (?:to|with) "
    r"a (?:bot|robot|machine|human|person)|are you (?:a )?(?:bot|robot|human|real)",
    "es": r"(?:una|con una|con un) (?:persona|humano|agente)|hablar con alguien|"
    r"persona real|atencion humana|alguien (?:del|de su|de vuestro|de tu) (?:equipo|soporte)|"
    r"(?:puede|podeis|podria|pueden) (?:ayudarme|revisarlo|mirarlo) alguien|"
    r"alguien (?:me )?(?:puede|podria) (?:ayudar|revisar|mirar)|hay alguien (?:ahi|real|leyendo)|"
    r"(?:eres|es) (?:un )?(?:bot|robot|humano)|hablando con (?:un )?(?:bot|robot|humano)",
    "fr": r"(?:un|une|a un|a une) (?:humain|personne|conseill\w*|agent)|vraie personne|"
    r"parler a quelqu'?un|quelqu'?un (?:de|dans) (?:votre|l'?) ?(?:equipe|service|support)|"
    r"(?:un membre|une personne) de (?:votre|l'?) ?equipe|(?:il y a|y a-t-il|y a t il) "
    r"quelqu'?un|(?:vous etes|tu es|es-tu|etes-vous) un (?:bot|robot|humain)|"
    r"je parle a un (?:bot|robot|humain)",
}
TRIED_CUES = {
    "en": r"(?:already|still) (?:tried|cleared|did|done|followed)|tried (?:everything|all|that)|"
    r"did ?n[o']?t (?:help|work)|does ?n[o']?t help|nothing (?:works|worked|helped)|"
    r"still (?:fail\w*|broken|not working|the same|get(?:ting)?)|followed (?:the|all the|your) "
    r"(?:steps|article|instructions|guide)",
    "es": r"ya (?:lo )?(?:he )?(?:probado|intentado|hice|borre|limpie|segui)|no (?:me )?(?:ha )?"
    r"(?:sirvio|servido|funciono|funcionado|ayudo|ayudado)|nada funciona|"
    r"sigue (?:igual|fallando)|me sigue (?:saliendo|dando|pasando)|segui (?:todos )?los pasos",
    "fr": r"deja (?:essaye|tente|vide|fait|suivi)|(?:ca|cela) (?:n'?a|ne) (?:pas|rien) "
    r"(?:marche|fonctionne|aide|change)|rien (?:ne )?(?:marche|fonctionne)|"
    r"toujours (?:pareil|bloque|le meme)|suivi (?:toutes )?les (?:etapes|instructions)",
}
# After an answer, these say it did not solve the problem, on top of TRIED_CUES (which alone
# send a first message to people): "doesn't work" opens many a first question.
NOT_HELPED_CUES = {
    "en": r"does ?n[o']?t work|(?:is|it'?s|it is) (?:still )?not working|wo ?n[o']?t work|"
    r"not (?:helpful|what i (?:asked|need|meant))|that'?s not it|same (?:problem|error|issue)",
    "es": r"no (?:me )?funciona|sigue sin funcionar|no es (?:eso|lo que (?:pregunte|necesito))|"
    r"no me (?:ayuda|sirve|resuelve)|"
    r"(?:el )?mismo (?:problema|error)",
    "fr": r"(?:ca|cela) ne (?:marche|fonctionne) (?:toujours )?pas|(?:ca )?marche pas|"
    r"(?:ne|n') ?m'?(?:aide|a aide|sert|resout) (?:pas|en rien)|"
    r"ce n'?est pas (?:ca|ce que)|(?:le )?meme (?:probleme|erreur)",
}
# Asking for a decision to be reviewed sends a flagged prompt to the Trust & Safety team
# (policy §1: prompt_flagged "appeal -> handoff").
APPEAL_CUES = {
    "en": r"appeal\w*|review (?:it|this|my|the)|contest\w*|overturn",
    "es": r"apela\w*|apelacion|revis(?:ar|en|eis|ad) (?:lo|la|mi|el)|reclamar",
    "fr": r"faire appel|recours|contest\w*|reexamin\w*|revoir (?:la|ma|cette) decision",
}
APPEAL_TOPICS = frozenset({"prompt_flagged"})

# How a topic is named to the customer when the bot offers its best guesses (clarify buttons).
TOPIC_LABELS: dict[str, dict[str, str]] = {
    "generation_failed": {
        "en": "Failed generations",
        "es": "Generaciones fallidas",
        "fr": "Générations en échec",
    },
    "download_hires": {
        "en": "High-resolution downloads",
        "es": "Descargas en alta resolución",
        "fr": "Téléchargements haute résolution",
    },
    "charged_twice": {"en": "Charged twice", "es": "Cobro duplicado", "fr": "Double prélèvement"},
    "refund_request": {"en": "A refund", "es": "Un reembolso", "fr": "Un remboursement"},
    "cancel_subscription": {
        "en": "Cancelling my plan",
        "es": "Cancelar mi plan",
        "fr": "Résilier mon abonnement",
    },
    "payment_fraud": {"en": "Payment fraud", "es": "Fraude en un pago", "fr": "Fraude au paiement"},
    "prompt_flagged": {
        "en": "A flagged prompt",
        "es": "Un prompt bloqueado",
        "fr": "Un prompt bloqué",
    },
    "copyright_report": {
        "en": "Reporting a copyright issue",
        "es": "Denunciar derechos de autor",
        "fr": "Signaler une atteinte au droit d'auteur",
    },
    "abuse_report": {"en": "Reporting abuse", "es": "Denunciar un abuso", "fr": "Signaler un abus"},
    "account_hacked": {
        "en": "A hacked account",
        "es": "Una cuenta hackeada",
        "fr": "Un compte piraté",
    },
    "lost_email_access": {
        "en": "Lost access to my email",
        "es": "Perdí el acceso a mi correo",
        "fr": "Plus accès à mon e-mail",
    },
    "password_reset": {
        "en": "Resetting my password",
        "es": "Restablecer mi contraseña",
        "fr": "Réinitialiser mon mot de passe",
    },
    "service_status": {
        "en": "Is the service down?",
        "es": "¿Está caído el servicio?",
        "fr": "Le service est-il en panne ?",
    },
    "contact_info": {
        "en": "Contacting support",
        "es": "Contactar con soporte",
        "fr": "Contacter le support",
    },
    "feedback": {"en": "Giving feedback", "es": "Dar mi opinión", "fr": "Donner mon avis"},
    "bug_report": {"en": "Reporting a bug", "es": "Informar de un error", "fr": "Signaler un bug"},
    "complaint": {
        "en": "Making a complaint",
        "es": "Poner una queja",
        "fr": "Faire une réclamation",
    },
    "human_request": {
        "en": "Talking to a person",
        "es": "Hablar con una persona",
        "fr": "Parler à une personne",
    },
    "data_privacy": {
        "en": "My data and privacy",
        "es": "Mis datos y privacidad",
        "fr": "Mes données et ma vie privée",
    },
}

# --- Service levels (SUPPORT_POLICY.md §2) -------------------------------------------------

# The policy says "GMT" literally, so business hours do not move with UK summer time.
BUSINESS_TZ = "Etc/GMT"
BUSINESS_OPEN = time(9)  # inclusive
BUSINESS_CLOSE = time(18)  # exclusive: 18:00 is already closed
BUSINESS_DAYS: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday–Friday (date.weekday())
# Fixed-date closures as (month, day): New Year's Day, Christmas Day, Boxing Day, when a UK-hours
# desk is closed. Moving and substitute holidays (Easter, bank-holiday Mondays) are not modelled.
HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (12, 25), (12, 26)})


@dataclass(frozen=True, slots=True)
class SlaRule:
    """One row of the service-level table; resolution days count business days, when set."""

    case: str
    first_response: timedelta
    breach: timedelta
    resolution_days: int | None = None  # deadline for the resolution plan
    resolution_target_days: int | None = None  # what the desk aims for, before the deadline


# Insertion order breaks ties between rules with the same first response (urgent first).
SLA_RULES: dict[str, SlaRule] = {
    r.case: r
    for r in (
        SlaRule("urgent", timedelta(hours=6), timedelta(hours=12)),
        # Acknowledge at once (≤ 24 h); a resolution plan in 5, at the latest 7, business days.
        SlaRule(
            "complaint",
            timedelta(hours=24),
            timedelta(hours=24),
            resolution_days=7,
            resolution_target_days=5,
        ),
        SlaRule("premium", timedelta(hours=12), timedelta(hours=12)),  # guaranteed
        SlaRule("free", timedelta(hours=24), timedelta(hours=48)),  # best effort
    )
}

# An unanswered ticket is at risk of its SLA once its first response falls due this soon.
SLA_AT_RISK = timedelta(minutes=30)
# Tag of a ticket whose customer wrote in anger, after repeated contact or against a deadline;
# tone raises a ticket's priority once, by one step (bot/triage/tone.py).
UPSET_TAG = "upset_customer"

# Which SLA row a plan gets: enterprise shares premium's guarantee.
PLAN_SLA: dict[str, str] = {"premium": "premium", "enterprise": "premium", "free": "free"}
# A customer with no plan, or one the desk does not know, is served as a free user.
DEFAULT_PLAN = "free"

# A resolved ticket reopens when the customer writes within this window; after it, it is closed.
REOPEN_WINDOW = timedelta(days=7)

# Live-chat queue order, lower first: premium subscribers go ahead of free users (policy §2).
LIVE_PLAN_RANK: dict[str, int] = {"enterprise": 0, "premium": 0, "free": 1}

# --- Verification and hand-off details (SUPPORT_POLICY.md §1, §8) ----------------------------

# Sensitive requests need proof of account ownership before people take them.
VERIFY_TOPICS = frozenset(
    {
        "charged_twice",
        "refund_request",
        "payment_fraud",
        "account_hacked",
        "lost_email_access",
        "data_privacy",
    }
)
# Topics whose owner cannot read the account's mailbox: only the authenticator (TOTP) code works.
NO_EMAIL_CODE_TOPICS = frozenset({"lost_email_access"})
CODE_TTL = timedelta(minutes=10)
MAX_CODE_TRIES = 5
# A data export or erasure must follow its proof of ownership closely: an old verification in
# a shared browser does not hand someone the data.
PRIVACY_VERIFIED_FOR = timedelta(minutes=30)
# The same five wrong tries also count per account and method (mailed code / authenticator)
# across every conversation and attempt over this window: starting again gives no new tries,
# so neither a mailed code nor the authenticator's can be guessed by restarting. An email no
# account has counts the same way, so the replies never tell whether the account exists.
ACCOUNT_CODE_TRIES = 5
CODE_TRIES_WINDOW = timedelta(hours=24)
# Verification mails to one address: at most this many an hour, this far apart. Beyond it the
# customer is told the same and nothing is sent; the code already mailed keeps working.
CODE_MAILS_PER_HOUR = 3
CODE_MAIL_GAP = timedelta(minutes=1)
# What the people taking a topic need to know, asked before the hand-off, in this order.
HANDOFF_DETAILS: dict[str, tuple[str, ...]] = {
    "charged_twice": ("transaction_date", "last4"),
    "refund_request": ("transaction_date",),
    "copyright_report": ("content_url", "ownership_claim", "contact_email"),
}
# "I can't" at a verification step: hand over unverified, agents verify by other means.
SKIP_CUES = {
    "en": r"skip|can'?t|cannot|don'?t have|no access|not possible",
    "es": r"saltar|omitir|no puedo|no tengo|sin acceso|imposible",
    "fr": r"passer|ignorer|je ne peux pas|impossible|pas acces|je n'ai pas|je n ai pas",
}
# After verification for `data_privacy`: what the customer wants of their data, in their words
# (the buttons say it outright). Both or neither: a person takes it.
PRIVACY_EXPORT_CUES = {
    "en": r"export\w*|download\w*|copy|copies|send me my data",
    "es": r"export\w*|descarg\w*|copia\w*",
    "fr": r"export\w*|telecharg\w*|copie\w*",
}
PRIVACY_ERASE_CUES = {
    "en": r"delet\w*|eras\w*|remov\w*|forget",
    "es": r"borr\w*|elimin\w*|suprim\w*|olvid\w*",
    "fr": r"supprim\w*|effac\w*|oubli\w*",
}

# Short replies the bot must understand in any state (bot.triage.replies). Space-separated word
# lists, accent-folded: a reply made only of such words is that reply.
PERSON_WORDS = (
    "person human agent someone somebody people operator representative rep staff "
    "persona humano humana agente alguien operador "
    "personne humain humaine conseiller conseillere quelqu'un quelqu'une operateur"
)
STOP_PHRASES = {
    "en": r"stop|cancel|cancel (?:it|this|that)|quit|exit|never ?mind|forget (?:it|this)|"
    r"i (?:want to|wanna) stop|no thanks|leave it",
    "es": r"para|parar|pare|basta|cancela|cancelar|cancelalo|olvidalo|dejalo|salir|"
    r"no quiero seguir|quiero parar|no gracias",
    "fr": r"stop|arrete|arreter|arretez|annule|annuler|annulez|laisse tomber|laissez tomber|"
    r"oublie|oubliez|quitter|je veux arreter|non merci",
}
# Yes in the three languages and the languages customers most often try beside them: the offer
# of a person after the unsupported-language notice is answered in any of them.
YES_WORDS = (
    "yes yeah yep yup sure ok okay please si claro vale oui ouais d'accord ja jawohl sim "
    "certo da tak evet ano igen haan"
)
# A reply made only of these is a thank-you or a sign-off.
CLOSING_WORDS = (
    "thanks thank you ty thx tysm cheers cool great perfect awesome nice ok okay got it "
    "bye goodbye cya good fine super lovely brilliant appreciated much a lot so all "
    "gracias muchas mil vale genial perfecto listo adios hasta luego de acuerdo entendido "
    "estupendo guay bien muy "
    "merci beaucoup parfait top nickel au revoir plus bonne journee soiree tres compris"
)
CLOSING_MAX_WORDS = 6
