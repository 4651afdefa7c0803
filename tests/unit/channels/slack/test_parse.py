"""Slack's text and ids as the desk reads them (pure)."""

from __future__ import annotations

import pytest

from channels.slack.parse import Place, conversation_id, lang_of, place_of, plain_text

BOT = "U0DESKBOT1"


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (f"<@{BOT}> me cobraron dos veces", "me cobraron dos veces"),
        (f"hola <@{BOT}>, ¿me ayudas?", "hola, ¿me ayudas?"),
        (f"el <@{BOT}> no contesta", "el no contesta"),
        (f"<@{BOT}>\n\nme cobraron", "me cobraron"),
        (f"<@{BOT}|desk> hola", "hola"),
        ("pregunta a <@U0MARC0001>", "pregunta a @U0MARC0001"),
        ("pregunta a <@U0MARC0001|marc>", "pregunta a @marc"),
        ("lo vi en <#C0HELP0001|help>", "lo vi en #help"),
        ("lo vi en <#C0HELP0001|>", "lo vi en #C0HELP0001"),
        ("<!here> ¿alguien?", "@here ¿alguien?"),
        ("<!subteam^S0123|@support> ayuda", "@support ayuda"),
        ("desde <!date^1764150000^{date}|26 nov>", "desde 26 nov"),
        ("mira <https://imageko.com/help>", "mira https://imageko.com/help"),
        ("en <http://imageko.com|imageko.com>", "en imageko.com"),
        ("escribe a <mailto:a@b.es|a@b.es>", "escribe a a@b.es"),
        (
            "ver <https://imageko.com/p?a=1&amp;b=2|aquí>",
            "ver aquí (https://imageko.com/p?a=1&b=2)",
        ),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
        ("escribí &amp;lt; a mano", "escribí &lt; a mano"),
        ("  línea 1\nlínea 2  ", "línea 1\nlínea 2"),
    ],
)
def test_slack_markup_reads_as_the_customer_wrote_it(text: str, plain: str) -> None:
    assert plain_text(text, BOT) == plain


def test_without_the_bot_user_its_mention_is_a_mention_like_any_other() -> None:
    assert plain_text(f"<@{BOT}> hola", None) == f"@{BOT} hola"


@pytest.mark.parametrize(
    "place",
    [Place("T0IMAGEKO1", "D0LUCIA001"), Place("T0IMAGEKO1", "C0HELP0001", "1764150012.000012")],
)
def test_a_conversation_id_gives_back_its_place(place: Place) -> None:
    assert place_of(conversation_id(place)) == place


@pytest.mark.parametrize(
    ("locale", "lang"),
    [("es-ES", "es"), ("pt-BR", "pt"), ("fr", "fr"), ("en_US", "en"), ("", None), (None, None)],
)
def test_the_language_is_the_users_slack_locale(locale: str | None, lang: str | None) -> None:
    assert lang_of(locale) == lang
