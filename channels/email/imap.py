"""IMAP polling for inbound support mail: fetch what is unseen, mark it seen once stored.

`fetch_unseen` and `mark_seen` block (stdlib `imaplib`) and belong in a worker thread; `poll`
does that itself. Delivery is at least once: a message is marked seen only after the desk
handled it, so a crash in between brings it back on the next poll rather than losing it.
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# What imaplib lets through: protocol errors (and NO answers, see `_ok`), socket and TLS errors
# (OSError covers timeouts and ssl.SSLError), and arguments it cannot encode as ASCII.
_FAILURES = (imaplib.IMAP4.error, OSError, UnicodeError)


class ImapError(RuntimeError):
    """An IMAP exchange failed; the message names the server and the step, never the password."""


@dataclass(frozen=True, slots=True)
class ImapConfig:
    """Where the support mailbox is and how to log in (`ssl` means IMAPS, usually port 993)."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)  # so a logged or printed config does not show it
    mailbox: str = "INBOX"
    ssl: bool = True
    timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Fetched:
    """One message exactly as the server stores it, with its UID in the mailbox."""

    uid: str
    raw: bytes


def fetch_unseen(config: ImapConfig, limit: int = 50) -> list[Fetched]:
    """The oldest `limit` unseen messages of the mailbox; they stay unseen until `mark_seen`."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    # EXAMINE (read-only) and BODY.PEEK: fetching can never set \Seen, only mark_seen does.
    with _session(config, readonly=True) as conn:
        with _step(config, "UID SEARCH UNSEEN"):
            found = _ok(conn.uid("SEARCH", "UNSEEN"))
        # UIDs grow with arrival in a mailbox, so the smallest are the oldest.
        uids = sorted((uid.decode("ascii") for uid in (found[0] or b"").split()), key=int)
        fetched: list[Fetched] = []
        for uid in uids[:limit]:
            with _step(config, f"UID FETCH {uid}"):
                raw = _body(_ok(conn.uid("FETCH", uid, "(BODY.PEEK[])")))
            if raw is not None:  # None: expunged by another client since the search
                fetched.append(Fetched(uid, raw))
    return fetched


def mark_seen(config: ImapConfig, uids: Sequence[str]) -> None:
    """Set \\Seen on these UIDs; call it only once the desk has stored the messages."""
    # A bare str is a Sequence[str] too: "101" would mark UIDs 1, 0 and 1.
    if isinstance(uids, str):
        raise TypeError("uids must be a sequence of UIDs, not one str")
    # Plain numbers only: a set such as "1:*" would mark mail nobody has stored as seen.
    if bad := [uid for uid in uids if not (uid.isascii() and uid.isdigit())]:
        raise ValueError(f"not IMAP UIDs: {bad!r}")
    if not uids:
        return
    with (
        _session(config, readonly=False) as conn,
        _step(config, f"UID STORE +FLAGS (\\Seen) on {len(uids)} message(s)"),
    ):
        _ok(conn.uid("STORE", ",".join(uids), "+FLAGS.SILENT", r"(\Seen)"))


async def poll(
    config: ImapConfig, handle: Callable[[bytes], Awaitable[None]], limit: int = 50
) -> int:
    """Hand each unseen message to `handle`, mark seen those it took; return how many it took.

    A message whose `handle` raises is logged and stays unseen, so the next poll retries it.
    """
    fetched = await asyncio.to_thread(fetch_unseen, config, limit)
    handled: list[str] = []
    for message in fetched:
        try:
            await handle(message.raw)
        except Exception:
            log.exception(
                "IMAP message uid %s of %s:%d/%s not handled; it stays unseen for the next poll",
                message.uid,
                config.host,
                config.port,
                config.mailbox,
            )
            continue
        handled.append(message.uid)
    await asyncio.to_thread(mark_seen, config, handled)
    return len(handled)


@contextmanager
def _session(config: ImapConfig, *, readonly: bool) -> Iterator[imaplib.IMAP4]:
    """A logged-in connection with the mailbox selected, logged out afterwards."""
    with _step(config, "connect"):
        conn = _connect(config)
    try:
        with _step(config, f"login as {config.user!r}"):
            conn.login(config.user, config.password)
        with _step(config, f"select mailbox {config.mailbox!r}"):
            _ok(conn.select(_quoted(config.mailbox), readonly=readonly))
        yield conn
    finally:
        # The work is done or has already failed: a failing LOGOUT changes neither, and
        # imaplib closes the socket whatever LOGOUT answers.
        with suppress(*_FAILURES):
            conn.logout()


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    if config.ssl:
        return imaplib.IMAP4_SSL(
            config.host,
            config.port,
            ssl_context=ssl.create_default_context(),
            timeout=config.timeout_s,
        )
    return imaplib.IMAP4(config.host, config.port, timeout=config.timeout_s)


@contextmanager
def _step(config: ImapConfig, what: str) -> Iterator[None]:
    """Turn any failure of `what` into an ImapError that says where and what, minus the password."""
    try:
        yield
    except _FAILURES as exc:
        message = f"IMAP {config.host}:{config.port}: {what} failed: {_describe(exc)}"
        if config.password and config.password in message:
            # A server may echo the LOGIN line back; the original exception would carry it too.
            raise ImapError(message.replace(config.password, "***")) from None
        raise ImapError(message) from exc


def _describe(exc: BaseException) -> str:
    # imaplib raises with the server's answer as bytes; str() would show b'...'.
    if exc.args and isinstance(exc.args[0], bytes):
        return exc.args[0].decode(errors="replace")
    return str(exc) or type(exc).__name__


def _ok(response: tuple[str, list[Any]]) -> list[Any]:
    """The data of an OK answer; imaplib returns NO instead of raising, so raise here."""
    status, data = response
    if status != "OK":
        answer = data[-1] if data else b""
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        raise imaplib.IMAP4.error(f"server answered {status} {text}")
    return data


def _body(data: list[Any]) -> bytes | None:
    # imaplib gives a literal as a (response prefix, bytes) pair among plain response lines.
    for item in data:
        if isinstance(item, tuple) and b"BODY[]" in item[0]:
            return bytes(item[1])
    return None


def _quoted(mailbox: str) -> str:
    # imaplib sends the name as is; quoting lets names with spaces through.
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
