"""Nothing the desk keeps holds a customer's secret (issue 16, item 6; policy §8).

Customers type a card number, a password sentence, a one-time code and an API key on the REST
API, the web chat, email (SMTP to the desk's receiver) and Telegram (against its local fake),
a real verification flow runs on the REST API, and an agent writes an internal note with a
card number. Then every store is searched for the raw values: every row of every SQLite table
(and the database files' bytes), every key and value of the desk's Redis (Rasa's trackers
included), the desk's combined log, and every file under its VAR_DIR: 0 hits.

Each channel gets its own values, so a hit names the channel that leaked.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from redis import Redis

from tests.conftest import SmtpSink
from tests.e2e.conftest import RestChat, RunningDesk, start_chat
from tests.e2e.desk import SECRET_KEY
from tests.e2e.test_webchat import _open as open_tab
from tests.fakes import telegram_api as tg
from tests.fakes.threaded import served
from tests.images import png
from tests.security.conftest import redis_url

pytestmark = pytest.mark.e2e
WAIT_S = 60
# Email keeps image attachments only, and re-encodes them first: a real PNG.
PNG = png((4, 4))


@dataclass(frozen=True)
class Secrets:
    """What one channel's customer types."""

    card: str  # Luhn-valid test numbers, grouped as people type them
    password: str
    code: str
    key: str

    def raw(self) -> list[str]:
        """The values that must not be found anywhere, in every form they could take."""
        return [self.card, re.sub(r"\D", "", self.card), self.password, self.code, self.key]


REST = Secrets("4111 1111 1111 1111", "Zebra1Crossing!", "739104", "sk-proj-Rest1A2b3C4d5E6f7G8h9")
WEBCHAT = Secrets(
    "4242-4242-4242-4242", "Zebra2Crossing!", "739215", "ghp_Webchat1234567890abcdefghijklmnopq"
)
EMAIL = Secrets("5555.5555.5555.4444", "Zebra3Crossing!", "739326", "AKIAEMAILKEY12345678")
TELEGRAM = Secrets(
    "4012 8888 8888 1881", "Zebra4Crossing!", "739437", "xoxb-4096-8192-TelegramAbCdEfGh"
)
VERIFY_CARD = "6011 1111 1111 1117"  # typed into the billing form after verification
NOTE_CARD = "3782 822463 10005"  # an agent pastes it into an internal note
QUERY_KEY = "sk-proj-Query9Z8y7X6w5V4u3T2s1"  # in a URL's query string: the access log


def said(secrets: Secrets) -> list[str]:
    """The four messages of one customer, in the desk's three languages."""
    return [
        f"my card {secrets.card} was charged twice",
        f"la contraseña de mi cuenta es {secrets.password}",
        f"ma clé API est {secrets.key}",
        f"the code is {secrets.code}",
    ]


@pytest.fixture(scope="module")
def telegram() -> Iterator[tg.FakeTelegram]:
    with served(tg.FakeTelegram()) as fake:
        yield fake


@pytest.fixture(scope="module")
def desk_env(telegram: tg.FakeTelegram) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": tg.TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": tg.SECRET,
        "TELEGRAM_API_URL": telegram.base_url,
    }


# --- how each channel is written to ---------------------------------------------------------


def post(chat: RestChat, text: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """One customer message on the REST API, with the conversation's token."""
    body: dict[str, Any] = {"text": text, **({"metadata": metadata} if metadata else {})}
    response = httpx.post(chat.url, json=body, headers=chat.headers, timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def note(desk: RunningDesk, number: str, text: str) -> None:
    """An agent's internal note on a ticket, through the agent API."""
    agent = desk.agent("lea")
    url = f"{desk.url}/api/v1/tickets/{number}/notes"
    response = httpx.post(url, json={"text": text}, headers=agent, timeout=10)
    assert response.status_code == 200, response.text


def database(desk: RunningDesk) -> Path:
    return desk.log.parent / "desk.db"  # DATABASE_URL of the e2e desk


def processed(desk: RunningDesk, conversation_like: str, count: int) -> None:
    """Wait (bounded) until `count` customer messages of the conversation(s) are dealt with:
    stored, and the assistant (which saves its tracker before it answers) has had them."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with sqlite3.connect(database(desk)) as db:
            (done,) = db.execute(
                "SELECT count(*) FROM messages WHERE conversation_id LIKE ? AND sender = "
                "'customer' AND upper(direction) = 'INBOUND' AND upper(status) IN "
                "('PROCESSED', 'FAILED')",  # enums are stored by name
                (conversation_like,),
            ).fetchone()
        if done >= count:
            return
        time.sleep(0.2)
    pytest.fail(f"{conversation_like}: fewer than {count} messages processed")


def verify_then_hand_off(desk: RunningDesk, mail: SmtpSink) -> tuple[str, str, str]:
    """The double-charge flow on REST: a real code mailed and typed, then billing details
    with a card number in them; the code, the ticket's number and the conversation."""
    conversation = start_chat(desk)
    post(conversation, "You charged me twice for my subscription this month")
    before = len(mail.messages)
    post(conversation, "it's ana.free@example.com")
    assert len(mail.messages) == before + 1
    code = re.search(r"\b(\d{6})\b", mail.messages[-1].get_content())
    assert code is not None
    verified = post(conversation, code.group(1))
    assert any("your account is verified" in r["text"] for r in verified["replies"]), verified
    post(conversation, f"on November 20th with my card {VERIFY_CARD}")
    done = post(conversation, "1111")
    assert done["ticket"], done
    return code.group(1), str(done["ticket"]), conversation.id


async def webchat(desk: RunningDesk, secrets: Secrets) -> str:
    """The secrets typed into a web chat session; its id."""
    tab = await open_tab(desk)  # the web chat tests' own way in
    session = tab.session
    try:
        for number, text in enumerate(said(secrets), start=1):
            custom = {"note": f"pass: {secrets.password}"} if number == 1 else {}
            await tab.client.emit(
                "user_uttered", {"message": text, "session_id": session, "customData": custom}
            )
            await asyncio.to_thread(processed, desk, session, number)
    finally:
        await tab.client.disconnect()
    return session


def email(desk: RunningDesk, secrets: Secrets) -> None:
    message = EmailMessage()
    message["From"], message["To"] = "Eva Mail <eva@example.com>", "support@imageko.com"
    message["Subject"] = f"Refund for card {secrets.card}"
    message["Message-ID"] = "<secrets-e2e@mail.example>"
    message.set_content("\n\n".join([*said(secrets)[1:], "Thanks, Eva"]))
    card_digits = re.sub(r"\D", "", secrets.card)
    message.add_attachment(PNG, maintype="image", subtype="png", filename=f"{card_digits}.png")
    with smtplib.SMTP("127.0.0.1", desk.email_port, timeout=30) as smtp:
        smtp.send_message(message)
    processed(desk, "email-%", 1)


def telegram_chat(desk: RunningDesk, secrets: Secrets) -> None:
    for number, text in enumerate(said(secrets), start=1):
        body = httpx.post(
            f"{desk.url}/webhooks/telegram",
            json=tg.text_update(500 + number, text),
            headers=tg.webhook_headers(),
            timeout=30,
        )
        assert body.status_code == 200, body.text
        processed(desk, "telegram%", number)


# --- where the desk keeps things ------------------------------------------------------------


def found_in(text: str, raw: list[str]) -> list[str]:
    """Which raw values `text` holds. A six-digit code counts as a whole number only: not the
    microseconds of a stored time (".739104") nor the fraction of a Rasa timestamp."""
    hits = []
    for value in raw:
        if value.isdigit() and len(value) == 6:
            if re.search(rf"(?<![\d.:]){value}(?!\d)", text):
                hits.append(value)
        elif value in text:
            hits.append(value)
    return hits


def database_rows(desk: RunningDesk) -> Iterator[tuple[str, str]]:
    """(table, the row's text) for every row of every table."""
    with sqlite3.connect(database(desk)) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                text = " | ".join(
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row
                )
                yield table, text


def _value(client: Redis, key: bytes) -> Any:
    kind = client.type(key).decode()
    if kind == "string":
        return client.get(key)
    if kind == "list":
        return client.lrange(key, 0, -1)
    if kind == "set":
        return client.smembers(key)
    if kind == "zset":
        return client.zrange(key, 0, -1, withscores=True)
    if kind == "hash":
        return client.hgetall(key)
    return client.xrange(key)  # a stream


def redis_entries(url: str) -> Iterator[tuple[str, str]]:
    """(db:key, its value as text) for every key of every database of the desk's Redis."""
    base = Redis.from_url(url)
    try:
        databases = int(base.config_get("databases")["databases"])
    finally:
        base.close()
    parts = urlsplit(url)
    for db in range(databases):
        client = Redis(host=parts.hostname or "127.0.0.1", port=parts.port or 6379, db=db)
        try:
            for key in client.scan_iter():
                yield f"{db}:{key.decode('utf-8', 'replace')}", repr(_value(client, key))
        finally:
            client.close()


def files(root: Path) -> Iterator[tuple[str, str]]:
    """(path, contents as text) of every file under `root`, the name searched as well."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield str(path), str(path) + "\n" + path.read_bytes().decode("utf-8", "replace")


def test_no_store_keeps_a_customer_secret(
    desk: RunningDesk, mail: SmtpSink, telegram: tg.FakeTelegram
) -> None:
    # Every channel, each with its own secrets.
    rest = start_chat(desk)
    for text in said(REST):
        post(rest, text, metadata={"note": f"my password is {REST.password}"})
    code, number, verify = verify_then_hand_off(desk, mail)
    note(desk, number, f"customer read the card on the phone: {NOTE_CARD}")
    session = asyncio.run(webchat(desk, WEBCHAT))
    email(desk, EMAIL)
    telegram_chat(desk, TELEGRAM)
    httpx.get(f"{rest.url}?api_key={QUERY_KEY}", headers=rest.headers)

    raw = [
        *REST.raw(),
        *WEBCHAT.raw(),
        *EMAIL.raw(),
        *TELEGRAM.raw(),
        code,
        VERIFY_CARD,
        re.sub(r"\D", "", VERIFY_CARD),
        NOTE_CARD,
        re.sub(r"\D", "", NOTE_CARD),
        QUERY_KEY,
    ]
    leaks: list[str] = []
    rows = list(database_rows(desk))
    leaks += [f"sqlite {table}: {hit}" for table, text in rows for hit in found_in(text, raw)]
    for path in database(desk).parent.glob("desk.db*"):  # the file and any journal
        content = path.read_bytes().decode("utf-8", "replace")
        leaks += [f"{path.name} bytes: {hit}" for hit in found_in(content, raw)]
    entries = list(redis_entries(redis_url(desk)))
    leaks += [f"redis {key}: {hit}" for key, value in entries for hit in found_in(value, raw)]
    log = desk.log.read_text()
    leaks += [
        f"log: {hit}"
        for hit in found_in(
            log, [*raw, tg.TOKEN, desk.agent("lea")["Authorization"].split()[1], SECRET_KEY]
        )
    ]
    var = list(files(desk.log.parent / "var"))
    leaks += [f"file {path}: {hit}" for path, text in var for hit in found_in(text, raw)]
    assert not leaks, "secrets kept:\n" + "\n".join(sorted(set(leaks)))

    # ...and the search looked where the text went: the stores hold the redacted messages.
    assert any(k.startswith("0:rasa:tracker:") for k, _ in entries), "no Rasa tracker in Redis"
    trackers = " ".join(v for k, v in entries if ":tracker:" in k)
    for conversation in (rest.id, verify, session, "telegram:"):
        assert conversation in " ".join(k for k, _ in entries), conversation
    assert "[card number]" in trackers
    assert "[password]" in trackers
    assert "[secret]" in trackers
    assert "[code]" in trackers
    messages = [text for table, text in rows if table == "messages"]
    assert sum("[card number]" in text for text in messages) >= 5  # rest, verify, web, mail, tg
    assert any("customer read the card on the phone: [card number]" in t for _, t in rows)
    assert any(path.endswith(".png") for path, _ in var)  # the email's image was kept
    assert "api_key=[secret]" in log  # the access log line is there, masked
