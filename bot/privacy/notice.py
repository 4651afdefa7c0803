"""The email that carries an export's download link, in the customer's language."""

from __future__ import annotations

from datetime import datetime

SUBJECT = {
    "en": "Your imageko support data is ready to download",
    "es": "Tus datos de soporte de imageko están listos para descargar",
    "fr": "Vos données du support imageko sont prêtes à être téléchargées",
}
BODY = {
    "en": "You asked for a copy of what our support desk holds about you: your conversations "
    "with us, your tickets and your verification attempts.\n\n"
    "Download it (a ZIP file) here:\n{link}\n\n"
    "The link works for {hours} hours, until {until} UTC; after that the file is deleted. "
    "Your images and prompts are exported separately, from Settings → Privacy → Export my "
    "data.\n\nIf you did not ask for this, write to support@imageko.com.",
    "es": "Pediste una copia de lo que nuestro servicio de soporte guarda sobre ti: tus "
    "conversaciones con nosotros, tus tickets y tus intentos de verificación.\n\n"
    "Descárgala (un archivo ZIP) aquí:\n{link}\n\n"
    "El enlace funciona durante {hours} horas, hasta el {until} UTC; después el archivo se "
    "borra. Tus imágenes y prompts se exportan aparte, desde Ajustes → Privacidad → Exportar "
    "mis datos.\n\nSi no lo has pedido tú, escribe a support@imageko.com.",
    "fr": "Vous avez demandé une copie de ce que notre support conserve à votre sujet : vos "
    "conversations avec nous, vos tickets et vos tentatives de vérification.\n\n"
    "Téléchargez-la (un fichier ZIP) ici :\n{link}\n\n"
    "Le lien fonctionne pendant {hours} heures, jusqu'au {until} UTC ; ensuite le fichier est "
    "supprimé. Vos images et prompts s'exportent à part, depuis Paramètres → Confidentialité → "
    "Exporter mes données.\n\nSi vous n'êtes pas à l'origine de cette demande, écrivez à "
    "support@imageko.com.",
}


def export_mail(lang: str | None, link: str, hours: int, until: datetime) -> tuple[str, str]:
    """Subject and text of the link's email (English for a language we do not write)."""
    lang = lang if lang in BODY else "en"
    when = until.strftime("%Y-%m-%d %H:%M")
    return SUBJECT[lang], BODY[lang].format(link=link, hours=hours, until=when)
