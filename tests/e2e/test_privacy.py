"""Privacy requests through the real desk (policy §8): a verified customer asks in the chat
for their data, gets the link by email and downloads the ZIP; another has theirs erased."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from bot.runtime.demo import DEMO_CUSTOMERS
from bot.verification.codes import totp
from tests.conftest import SmtpSink
from tests.e2e.conftest import RestChat, start_chat
from tests.e2e.desk import RunningDesk

pytestmark = pytest.mark.e2e
ANA = next(c for c in DEMO_CUSTOMERS if c["account_id"] == "acc-1001")
PAUL = next(c for c in DEMO_CUSTOMERS if c["account_id"] == "acc-2002")  # has an authenticator


def say(chat: RestChat, text: str) -> list[dict[str, Any]]:
    """Post one customer message over the REST API, with the conversation's token; the bot's
    replies."""
    response = httpx.post(
        chat.url, json={"text": text, "lang": "en"}, headers=chat.headers, timeout=30
    )
    assert response.status_code == 200, response.text
    replies: list[dict[str, Any]] = response.json()["replies"]
    return replies


def texts(replies: list[dict[str, Any]]) -> str:
    return " ".join(reply["text"] or "" for reply in replies)


def mail_to(mail: SmtpSink, address: str, count: int) -> EmailMessage:
    """Wait (bounded) for the desk's `count`-th mail to `address`."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sent = [m for m in mail.messages if m["To"] == address]
        if len(sent) >= count:
            return sent[count - 1]
        time.sleep(0.2)
    pytest.fail(f"no mail #{count} to {address}")


def test_a_verified_customer_gets_their_conversation_by_an_emailed_link(
    desk: RunningDesk, mail: SmtpSink
) -> None:
    conversation = start_chat(desk)
    asked = say(conversation, "I want a copy of all my personal data")
    assert "confirm the account is yours" in texts(asked), asked
    before = len([m for m in mail.messages if m["To"] == ANA["email"]])
    assert "sent it a 6-digit code" in texts(say(conversation, ANA["email"]))
    code = re.search(r"\b(\d{6})\b", mail_to(mail, ANA["email"], before + 1).get_content())
    assert code is not None

    verified = say(conversation, code.group(1))
    assert "your account is verified" in texts(verified), verified
    offered = [b["payload"] for reply in verified for b in reply.get("buttons") or ()]
    assert offered == ["/privacy_export", "/privacy_erase", "/human_request"]

    sent = texts(say(conversation, "/privacy_export"))
    assert "emailed a download link to the address on file" in sent, sent
    assert "valid for 48 hours" in sent
    link = re.search(r"/privacy/exports/\S+", mail_to(mail, ANA["email"], before + 2).get_content())
    assert link is not None

    download = httpx.get(desk.url + link.group(), timeout=30)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(download.content)) as bundle:
        document = json.loads(bundle.read("imageko-support-data.json"))
    assert document["customer"]["email"] == ANA["email"]
    (this,) = [c for c in document["conversations"] if c["id"] == conversation.id]
    said = [m["text"] for m in this["messages"] if m["from"] == "customer"]
    assert said[:2] == ["I want a copy of all my personal data", ANA["email"]]
    assert code.group(1) not in json.dumps(document)  # the code was redacted when stored


def test_a_verified_customer_has_their_data_erased_after_confirming(desk: RunningDesk) -> None:
    conversation = start_chat(desk)
    assert "confirm the account is yours" in texts(say(conversation, "delete my data"))
    say(conversation, PAUL["email"])
    verified = say(conversation, totp(PAUL["totp_secret"], datetime.now(UTC)))
    assert "your account is verified" in texts(verified), verified

    asked = say(conversation, "/privacy_erase")
    assert "cannot be undone" in texts(asked), asked
    assert [b["payload"] for reply in asked for b in reply.get("buttons") or ()] == [
        "/affirm",
        "/deny",
    ]
    done = texts(say(conversation, "/affirm"))
    assert "your customer record is deleted" in done, done

    history = httpx.get(conversation.url, headers=conversation.headers, timeout=10).json()
    assert [(m["sender"], m["text"]) for m in history] == [("bot", done)]
    # The account is gone: the same email now proves nothing (no code can match).
    again = start_chat(desk)
    say(again, "delete my data")
    say(again, PAUL["email"])
    retry = texts(say(again, totp(PAUL["totp_secret"], datetime.now(UTC))))
    assert "your account is verified" not in retry, retry
