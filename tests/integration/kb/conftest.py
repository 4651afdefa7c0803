from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb.embedder import Embedder, shared_embedder

ARTICLES = {
    "download-hires": (
        "download_hires",
        {
            "en": (
                "Downloading in full resolution",
                "Open the image in your Library, click Download and choose High resolution.",
                "My print is blurry",
            ),
            "es": (
                "Descargar en resolución completa",
                "Abre la imagen en tu Biblioteca, pulsa Descargar y elige Alta resolución.",
                "Mi impresión sale borrosa",
            ),
            "fr": (
                "Télécharger en pleine résolution",
                "Ouvrez l'image dans votre Bibliothèque, cliquez sur Télécharger et choisissez Haute résolution.",
                "Mon impression est floue",
            ),
        },
    ),
    "password-reset": (
        "password_reset",
        {
            "en": (
                "Resetting your password",
                "On the login page click Forgot password? and follow the link we email you.",
                "I forgot my password",
            ),
            "es": (
                "Restablecer tu contraseña",
                "En la página de inicio de sesión pulsa ¿Olvidaste tu contraseña? y sigue el enlace del correo.",
                "Olvidé mi contraseña",
            ),
            "fr": (
                "Réinitialiser votre mot de passe",
                "Sur la page de connexion, cliquez sur Mot de passe oublié ? et suivez le lien reçu par e-mail.",
                "J'ai oublié mon mot de passe",
            ),
        },
    ),
    "refund-policy": (
        "refund_request",
        {
            "en": (
                "Refund policy",
                "Monthly Premium can be refunded within 14 days of the charge if fewer than 50 credits were used.",
                "Can I get my money back",
            ),
            "es": (
                "Política de reembolsos",
                "Premium mensual se reembolsa dentro de 14 días del cargo si usaste menos de 50 créditos.",
                "Quiero que me devuelvan el dinero",
            ),
            "fr": (
                "Politique de remboursement",
                "Premium mensuel est remboursable sous 14 jours après le prélèvement si moins de 50 crédits ont été utilisés.",
                "Je veux être remboursé",
            ),
        },
    ),
}


def article_text(article_id: str, lang: str, body_extra: str = "") -> str:
    topic, langs = ARTICLES[article_id]
    title, body, question = langs[lang]
    return (
        f"---\nid: {article_id}\ntitle: {title}\ntopic: {topic}\ntags: [test]\n"
        f"updated: 2026-11-20\nurl: /help/{lang}/{article_id}\nquestions:\n  - {question}\n---\n"
        f"{body}{body_extra}\n\n## Details\n{body}\n"
    )


def write_help_centre(root: Path) -> Path:
    for article_id in ARTICLES:
        for lang in ("en", "es", "fr"):
            (root / lang).mkdir(parents=True, exist_ok=True)
            (root / lang / f"{article_id}.md").write_text(article_text(article_id, lang))
    return root


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once for the whole run."""
    return shared_embedder()
