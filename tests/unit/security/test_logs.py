"""What the hub logs is redacted like what it stores, through the real handlers and
formatters (uvicorn's access log included)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from bot.security import logs

CARD = "4242 4242 4242 4242"


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logs.install(("test.redaction",))
    logs.install(("test.redaction",))  # twice is once
    yield logger, out
    logger.removeHandler(handler)


def test_messages_arguments_and_tracebacks_are_redacted(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = written
    assert len(logger.handlers[0].filters) == 1
    logger.warning("card %s refused", CARD)
    logger.warning("my password is %s", "hunter2")  # split between format and argument
    logger.warning("%(who)s sent code 123456", {"who": "ana"})
    try:
        raise ValueError("token=ghp_1234567890abcdefghijklmnopqrstuvwxyzAB")
    except ValueError:
        logger.exception("failed with sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7")
    text = out.getvalue()
    for secret in (CARD, "hunter2", "123456", "ghp_1234567890", "sk-proj-Ab3dE5"):
        assert secret not in text
    assert "card [card number] refused" in text
    assert "my password is [password]" in text
    assert "ana sent code [code]" in text
    assert "ValueError: token=[secret]" in text  # the traceback is still there, masked


def test_uvicorn_access_lines_lose_query_string_secrets_and_keep_their_shape() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        logs.install(("uvicorn.access",))
        path = "/webhooks/meta?hub.mode=subscribe&hub.verify_token=vt-8f2k1&hub.challenge=42"
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert out.getvalue() == (
        '127.0.0.1:5000 - "GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=[secret]'
        '&hub.challenge=42 HTTP/1.1" 200 OK\n'
    )
