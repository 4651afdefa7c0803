"""Replies as Send API calls (pure): quick replies fitted to Meta's limits, and where they go."""

from __future__ import annotations

import pytest

from channels.base import Button, OutboundMessage
from channels.meta.adapter import InstagramAdapter, MessengerAdapter
from channels.meta.render import QUICK_REPLIES_ONLY_TEXT, SendMessage, quick_reply
from tests.fakes.graph_api import IGSID, PSID

CHAT = f"messenger:{PSID}"
IMAGE = "https://imageko.com/help/img/upload-settings.png"


@pytest.mark.parametrize(
    ("title", "fitted"),
    [
        ("Sí", "Sí"),
        ("Hablar con una perso", "Hablar con una perso"),  # exactly 20
        ("Hablar con una persona", "Hablar con una pers…"),
        ("Ver mis facturas     y pagos", "Ver mis facturas…"),  # no space before the ellipsis
        ("Soporte técnico 👩🏽‍💻 ya", "Soporte técnico…"),  # the emoji would not fit whole
    ],
)
def test_a_title_fits_in_20_characters(title: str, fitted: str) -> None:
    assert quick_reply(Button(title, "/p")).title == fitted
    assert len(fitted) <= 20


@pytest.mark.parametrize(
    ("payload", "sent"),
    [
        ("/affirm", "/affirm"),
        ("x" * 1000, "x" * 1000),
        ("x" * 1001, "Sí"),  # too long for Meta: pressed, it reads as the title typed
        ("", "Sí"),  # Meta needs a payload
    ],
)
def test_a_payload_meta_would_refuse_becomes_the_title(payload: str, sent: str) -> None:
    assert quick_reply(Button("Sí", payload)).payload == sent


def test_a_long_title_is_also_a_fitting_payload() -> None:
    button = quick_reply(Button("palabra " * 200, ""))
    assert 0 < len(button.payload) <= 1000
    assert button.payload.split() == ["palabra"] * len(button.payload.split())


def test_buttons_on_their_own_carry_a_text(messenger: MessengerAdapter) -> None:
    [call] = messenger.render(OutboundMessage(CHAT, buttons=(Button("Sí", "/affirm"),)))
    assert call == SendMessage(
        PSID, text=QUICK_REPLIES_ONLY_TEXT, quick_replies=(Button("Sí", "/affirm"),)
    )


def test_buttons_with_an_image_alone_go_on_the_image(instagram: InstagramAdapter) -> None:
    buttons = (Button("Sí", "/affirm"),)
    [call] = instagram.render(OutboundMessage(f"instagram:{IGSID}", image=IMAGE, buttons=buttons))
    assert call == SendMessage(IGSID, image=IMAGE, quick_replies=buttons)
    assert call.body()["message"] == {
        "attachment": {"type": "image", "payload": {"url": IMAGE, "is_reusable": True}},
        "quick_replies": [{"content_type": "text", "title": "Sí", "payload": "/affirm"}],
    }


def test_buttons_go_under_the_last_part_of_a_long_text(messenger: MessengerAdapter) -> None:
    text = "\n\n".join(["palabra " * 200] * 3)
    calls = messenger.render(OutboundMessage(CHAT, text=text, buttons=(Button("Sí", "1"),)))
    assert [bool(c.quick_replies) for c in calls] == [False, False, True]


def test_nothing_to_say_sends_nothing(messenger: MessengerAdapter) -> None:
    assert messenger.render(OutboundMessage(CHAT, text="  \n", custom={"card": 1})) == []


def test_another_channels_conversation_is_refused(messenger: MessengerAdapter) -> None:
    for conversation in (f"instagram:{IGSID}", "messenger:", PSID):
        with pytest.raises(ValueError, match="not a messenger conversation"):
            messenger.render(OutboundMessage(conversation, text="hola"))
