"""The help centre's shelves: categories and their sections, in display order, named in each
language. Articles say where they belong with `category:` and `section:` in their front matter;
this module is the one place those ids get their labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shelf:
    """A category or a section: its id and its label and blurb by language."""

    id: str
    label: dict[str, str]
    blurb: dict[str, str]


@dataclass(frozen=True, slots=True)
class Category:
    """A category and its sections, in display order."""

    shelf: Shelf
    sections: tuple[Shelf, ...]


def _s(id_: str, en: str, es: str, fr: str) -> Shelf:
    """A section: a label, no blurb (its articles' titles say what it holds)."""
    return Shelf(id_, {"en": en, "es": es, "fr": fr}, {})


CATEGORIES: tuple[Category, ...] = (
    Category(
        Shelf(
            "account",
            {"en": "Account and security", "es": "Cuenta y seguridad", "fr": "Compte et sécurité"},
            {
                "en": "Signing in, two-factor authentication and your data.",
                "es": "Inicio de sesión, verificación en dos pasos y tus datos.",
                "fr": "Connexion, double authentification et vos données.",
            },
        ),
        (
            _s("sign-in", "Signing in", "Inicio de sesión", "Connexion"),
            _s("security", "Security", "Seguridad", "Sécurité"),
            _s(
                "privacy",
                "Privacy and your data",
                "Privacidad y tus datos",
                "Vie privée et données",
            ),
        ),
    ),
    Category(
        Shelf(
            "billing",
            {
                "en": "Plans and billing",
                "es": "Planes y facturación",
                "fr": "Offres et facturation",
            },
            {
                "en": "Plans, credits, payments, invoices and refunds.",
                "es": "Planes, créditos, pagos, facturas y reembolsos.",
                "fr": "Offres, crédits, paiements, factures et remboursements.",
            },
        ),
        (
            _s("plans", "Plans and credits", "Planes y créditos", "Offres et crédits"),
            _s("payments", "Payments and invoices", "Pagos y facturas", "Paiements et factures"),
            _s(
                "cancel-refund",
                "Cancelling and refunds",
                "Cancelación y reembolsos",
                "Résiliation et remboursements",
            ),
        ),
    ),
    Category(
        Shelf(
            "images",
            {"en": "Creating images", "es": "Crear imágenes", "fr": "Créer des images"},
            {
                "en": "Prompts, failed generations and downloads.",
                "es": "Prompts, generaciones fallidas y descargas.",
                "fr": "Prompts, générations échouées et téléchargements.",
            },
        ),
        (
            _s("generating", "Generating", "Generar", "Générer"),
            _s("troubleshooting", "Troubleshooting", "Solución de problemas", "Dépannage"),
            _s("downloads", "Downloads and upscaling", "Descargas y mejora", "Téléchargements"),
        ),
    ),
    Category(
        Shelf(
            "rights",
            {
                "en": "Rights and content policy",
                "es": "Derechos y política de contenido",
                "fr": "Droits et règles de contenu",
            },
            {
                "en": "Who owns your images, what is allowed, and reporting.",
                "es": "De quién son tus imágenes, qué está permitido y denuncias.",
                "fr": "À qui sont vos images, ce qui est permis, et signalements.",
            },
        ),
        (
            _s("usage-rights", "Using your images", "Uso de tus imágenes", "Utiliser vos images"),
            _s("moderation", "Moderation", "Moderación", "Modération"),
            _s("reporting", "Reporting content", "Denunciar contenido", "Signaler un contenu"),
        ),
    ),
    Category(
        Shelf(
            "support",
            {"en": "Getting help", "es": "Obtener ayuda", "fr": "Obtenir de l'aide"},
            {
                "en": "Contacting us, the status page, devices and bugs.",
                "es": "Contactar, página de estado, dispositivos y errores.",
                "fr": "Nous contacter, page d'état, appareils et bugs.",
            },
        ),
        (
            _s("contact", "Contacting us", "Contactar con nosotros", "Nous contacter"),
            _s(
                "technical",
                "Status, devices and bugs",
                "Estado, dispositivos y errores",
                "État, appareils et bugs",
            ),
        ),
    ),
)
SECTIONS: dict[str, tuple[Category, Shelf]] = {
    section.id: (category, section) for category in CATEGORIES for section in category.sections
}
