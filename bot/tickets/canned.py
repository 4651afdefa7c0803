"""Canned responses per language: data, like the policy, so the support lead edits one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Canned:
    """A reply an agent inserts and then adapts."""

    title: str
    text: str


CANNED: dict[str, tuple[Canned, ...]] = {
    "en": (
        Canned("Greeting", "Hi, thanks for your patience. I'm looking into this for you now."),
        Canned(
            "Need details",
            "Could you tell me the email on your imageko account and, if you can, "
            "attach a screenshot of what you see?",
        ),
        Canned(
            "Refund in progress",
            "I've started the refund. It reaches your card within 5 to 10 business days; "
            "you'll get an email as soon as it is sent.",
        ),
        Canned(
            "Escalated",
            "I've passed this to a specialist with everything you told me. "
            "They'll reply here, so there's no need to explain again.",
        ),
        Canned("Closing", "Glad that's sorted. Is there anything else I can help you with?"),
    ),
    "es": (
        Canned("Saludo", "Hola, gracias por tu paciencia. Ya estoy revisando tu caso."),
        Canned(
            "Pedir datos",
            "¿Me indicas el correo de tu cuenta de imageko y, si puedes, "
            "una captura de pantalla de lo que ves?",
        ),
        Canned(
            "Reembolso en curso",
            "He iniciado el reembolso. Llegará a tu tarjeta en 5 a 10 días hábiles; "
            "recibirás un correo cuando se envíe.",
        ),
        Canned(
            "Escalado",
            "He pasado tu caso a un especialista con todo lo que me contaste. "
            "Te responderá aquí, no hace falta repetirlo.",
        ),
        Canned("Cierre", "Me alegra que esté resuelto. ¿Puedo ayudarte en algo más?"),
    ),
    "fr": (
        Canned(
            "Accueil", "Bonjour, merci de votre patience. Je regarde votre demande tout de suite."
        ),
        Canned(
            "Demander des détails",
            "Pouvez-vous m'indiquer l'e-mail de votre compte imageko et, si possible, "
            "joindre une capture d'écran de ce que vous voyez ?",
        ),
        Canned(
            "Remboursement en cours",
            "J'ai lancé le remboursement. Il arrivera sur votre carte sous 5 à 10 jours ouvrés ; "
            "vous recevrez un e-mail dès son envoi.",
        ),
        Canned(
            "Escaladé",
            "J'ai transmis votre demande à un spécialiste avec tout ce que vous m'avez dit. "
            "Il vous répondra ici, inutile de tout réexpliquer.",
        ),
        Canned("Clôture", "Ravi que ce soit réglé. Puis-je vous aider pour autre chose ?"),
    ),
}


def responses(lang: str) -> tuple[Canned, ...]:
    """The canned responses of `lang`, English for a language without its own."""
    return CANNED.get(lang, CANNED["en"])
