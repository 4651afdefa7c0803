"""IMAP polling against a real IMAP server: pymap's in-memory backend, started on loopback."""

from __future__ import annotations

import imaplib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from fastapi import FastAPI

from bot.db import session_factory
from bot.runtime.demo import seed_demo
from bot.runtime.launcher import free_port
from channels.email.imap import Fetched, ImapConfig, ImapError, fetch_unseen, mark_seen, poll

HOST = "127.0.0.1"
# pymap's dict backend always creates this login (pymap/backend/dict/__init__.py, --demo-user);
# the password is ours, passed as --demo-password.
USER = "demouser"
PASSWORD = "desk-imap-test-Pw7"


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A pymap server (dict backend, no TLS) for this module; each test gets its own mailbox."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("pymap") / "pymap.log"
    command = [
        sys.executable,
        "-c",
        "from pymap.main import main; main()",
        *("--host", HOST, "--port", str(port), "--no-tls"),
        *("dict", "--demo-password", PASSWORD),
    ]
    # FQDN: pymap's greeting would otherwise look up this host's name.
    env = {**os.environ, "FQDN": "localhost"}
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_listening(server, port, log_path)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def _wait_until_listening(server: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"pymap exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"pymap did not listen on {HOST}:{port} within 15 s:\n{log_path.read_text()}")


@pytest.fixture
def config(imap_port: int) -> ImapConfig:
    """Plain IMAP to the test server, on a new mailbox (with a space, so it needs quoting)."""
    config = ImapConfig(
        host=HOST,
        port=imap_port,
        user=USER,
        password=PASSWORD,
        mailbox=f"Support {uuid.uuid4().hex[:8]}",
        ssl=False,
        timeout_s=5,
    )
    with _client(config) as client:
        status, data = client.create(f'"{config.mailbox}"')
        assert status == "OK", data
    return config


@contextmanager
def _client(config: ImapConfig) -> Iterator[imaplib.IMAP4]:
    """The test's own IMAP connection, to put mail in and look at flags independently."""
    client = imaplib.IMAP4(config.host, config.port, timeout=5)
    try:
        client.login(config.user, config.password)
        yield client
    finally:
        client.logout()


def _email(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Zoë Client <zoe@example.com>"
    message["To"] = "support@imageko.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid()
    # 8bit: raw UTF-8 bytes in the body, so the IMAP literal must carry them untouched.
    message.set_content(body, cte="8bit")
    return message.as_bytes(policy=policy.SMTP)


def _append(config: ImapConfig, *raws: bytes) -> None:
    with _client(config) as client:
        for raw in raws:
            status, data = client.append(f'"{config.mailbox}"', None, None, raw)
            assert status == "OK", data


def _search(config: ImapConfig, criterion: str) -> list[str]:
    with _client(config) as client:
        status, data = client.select(f'"{config.mailbox}"', readonly=True)
        assert status == "OK", data
        status, data = client.uid("SEARCH", criterion)
        assert status == "OK", data
        return [uid.decode() for uid in (data[0] or b"").split()]


def _parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _subjects(fetched: list[Fetched]) -> list[str]:
    return [str(_parsed(message.raw)["Subject"]) for message in fetched]


def test_fetch_unseen_returns_raw_messages_intact_and_leaves_them_unseen(
    config: ImapConfig,
) -> None:
    plain = _email("Invoice question", "Hello, where is my invoice?\n")
    accented = _email("Ça ne marche pas — 画像 perdu", "L'export échoue : « erreur 500 ».\n")
    _append(config, plain, accented)

    fetched = fetch_unseen(config)

    assert [message.raw for message in fetched] == [plain, accented]
    assert _subjects(fetched) == ["Invoice question", "Ça ne marche pas — 画像 perdu"]
    body = _parsed(fetched[1].raw).get_body()
    assert body is not None
    assert body.get_content().rstrip("\r\n") == "L'export échoue : « erreur 500 »."
    assert sorted(_search(config, "UNSEEN"), key=int) == [message.uid for message in fetched]
    assert _search(config, "SEEN") == []


async def test_poll_handles_every_message_then_marks_them_seen(config: ImapConfig) -> None:
    raws = [_email("First", "one\n"), _email("Second — ünïcode", "deux\n")]
    _append(config, *raws)
    received: list[bytes] = []

    async def record(raw: bytes) -> None:
        received.append(raw)

    assert await poll(config, record) == 2
    assert received == raws
    assert _search(config, "UNSEEN") == []
    assert len(_search(config, "SEEN")) == 2

    assert await poll(config, record) == 0
    assert len(received) == 2


async def test_poll_leaves_a_message_whose_handler_failed_unseen(
    config: ImapConfig, caplog: pytest.LogCaptureFixture
) -> None:
    _append(config, _email("Fine", "ok\n"), _email("Poison", "breaks the handler\n"))
    handled: list[str] = []

    async def picky(raw: bytes) -> None:
        subject = str(_parsed(raw)["Subject"])
        if subject == "Poison":
            raise RuntimeError("storage is down")
        handled.append(subject)

    with caplog.at_level(logging.ERROR, logger="channels.email.imap"):
        assert await poll(config, picky) == 1

    assert handled == ["Fine"]
    [record] = caplog.records
    assert "stays unseen" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    left = fetch_unseen(config)
    assert _subjects(left) == ["Poison"]
    assert _search(config, "UNSEEN") == [left[0].uid]


def test_limit_takes_the_oldest_first(config: ImapConfig) -> None:
    _append(config, *(_email(f"Message {n}", f"body {n}\n") for n in range(1, 4)))

    assert _subjects(fetch_unseen(config, limit=2)) == ["Message 1", "Message 2"]
    assert _subjects(fetch_unseen(config, limit=1)) == ["Message 1"]
    with pytest.raises(ValueError, match="limit"):
        fetch_unseen(config, limit=0)


def test_mark_seen_marks_only_the_given_uids(config: ImapConfig) -> None:
    _append(config, _email("Keep", "a\n"), _email("Stored", "b\n"))
    keep, stored = fetch_unseen(config)

    mark_seen(config, [stored.uid])

    assert _search(config, "SEEN") == [stored.uid]
    assert _search(config, "UNSEEN") == [keep.uid]


def test_mark_seen_refuses_anything_but_plain_uids(config: ImapConfig) -> None:
    _append(config, _email("Unstored", "a\n"))
    [message] = fetch_unseen(config)

    with pytest.raises(ValueError, match="not IMAP UIDs"):
        mark_seen(config, ["1:*"])
    with pytest.raises(TypeError):
        mark_seen(config, message.uid)

    assert _search(config, "UNSEEN") == [message.uid]


def test_wrong_password_raises_without_showing_it(config: ImapConfig) -> None:
    wrong = ImapConfig(config.host, config.port, USER, "Wrong-Secret-42", config.mailbox, ssl=False)

    with pytest.raises(ImapError) as caught:
        fetch_unseen(wrong)

    message = str(caught.value)
    assert f"{HOST}:{config.port}" in message
    assert "login" in message
    assert "AUTHENTICATIONFAILED" in message
    assert "Wrong-Secret-42" not in "".join(traceback.format_exception(caught.value))
    assert "Wrong-Secret-42" not in repr(wrong)


def test_missing_mailbox_raises(config: ImapConfig) -> None:
    missing = ImapConfig(config.host, config.port, USER, PASSWORD, "No such box", ssl=False)

    with pytest.raises(ImapError, match="select mailbox 'No such box' failed: server answered NO"):
        fetch_unseen(missing)


def test_connection_refused_raises() -> None:
    port = free_port()  # bound then released: nothing listens there now

    with pytest.raises(ImapError, match=f"{HOST}:{port}: connect failed") as caught:
        fetch_unseen(ImapConfig(HOST, port, USER, PASSWORD, ssl=False, timeout_s=5))
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_server_that_never_answers_times_out() -> None:
    # Listening but never accepting: the kernel completes the handshake, no greeting comes.
    with socket.create_server((HOST, 0)) as silent:
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(ImapError, match="connect failed: timed out"):
            fetch_unseen(ImapConfig(HOST, port, USER, PASSWORD, ssl=False, timeout_s=0.5))
    assert time.monotonic() - started < 3


def test_tls_to_a_plain_imap_server_raises(config: ImapConfig) -> None:
    tls = ImapConfig(config.host, config.port, USER, PASSWORD, config.mailbox, timeout_s=2)

    with pytest.raises(ImapError, match="connect failed"):
        fetch_unseen(tls)


def test_a_server_echoing_the_password_does_not_leak_it() -> None:
    """A broken or hostile server repeats the LOGIN line in its refusal."""
    secret = "Echoed-Secret-99"
    with socket.create_server((HOST, 0)) as listener:
        port = listener.getsockname()[1]
        server = threading.Thread(target=_echo_login_refusal, args=(listener,), daemon=True)
        server.start()
        with pytest.raises(ImapError) as caught:
            fetch_unseen(ImapConfig(HOST, port, USER, secret, ssl=False, timeout_s=5))
        server.join(timeout=5)

    assert f"login as '{USER}' failed: refused: LOGIN {USER} \"***\"" in str(caught.value)
    assert secret not in "".join(traceback.format_exception(caught.value))


def _echo_login_refusal(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    with closing(connection), connection.makefile("rwb") as stream:
        stream.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] echo server\r\n")
        stream.flush()
        for line in stream:
            tag, command, *arguments = line.rstrip(b"\r\n").split(b" ")
            if command == b"CAPABILITY":
                stream.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
            elif command == b"LOGIN":
                stream.write(tag + b" NO refused: LOGIN " + b" ".join(arguments) + b"\r\n")
            else:  # LOGOUT
                stream.write(b"* BYE\r\n" + tag + b" OK done\r\n")
            stream.flush()
            if command == b"LOGOUT":
                return


async def test_mail_read_over_imap_reaches_the_desk_once(config: ImapConfig, app: FastAPI) -> None:
    """The hub's intake behind the poller: an IMAP mail becomes a ticket (the assistant is down
    in this app, so people take it), and the next poll does not take it again."""
    await seed_demo(session_factory(app.state.engine))
    _append(config, _email("Necesito ayuda con mi factura", "Hola, no entiendo un cargo."))
    assert await poll(config, app.state.mail_intake.receive) == 1
    (ticket,) = await app.state.tickets.queue("support")
    assert (ticket.channel, ticket.lang) == ("email", "es")
    assert await poll(config, app.state.mail_intake.receive) == 0
