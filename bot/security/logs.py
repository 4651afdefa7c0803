"""Logs never carry what the desk would not store: one filter on the hub's log handlers
redacts every record (its message, its arguments, its traceback) before it is written."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.security.redact import redact

# The root logger's handlers take every logger that propagates; uvicorn's own loggers do not.
HUB_LOGGERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error")
# uvicorn's access formatter unpacks the arguments (address, method, path, version, status):
# they are redacted one by one (the path's query string), never folded into the message.
_ARGS_READ_BY_FORMATTER = frozenset({"uvicorn.access"})


def _redacted(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactingFilter(logging.Filter):
    """Masks card numbers, passwords, codes, keys and tokens in a record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in _ARGS_READ_BY_FORMATTER and isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        else:
            try:  # the whole line: a secret may sit between format and arguments ("is %s")
                record.msg, record.args = redact(record.getMessage()), ()
            except (TypeError, ValueError, KeyError):  # a broken format, which logging reports:
                record.msg = _redacted(record.msg)  # then with nothing to hide in its report
                if isinstance(record.args, Mapping):
                    record.args = {key: _redacted(value) for key, value in record.args.items()}
                elif isinstance(record.args, tuple):
                    record.args = tuple(_redacted(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(names: tuple[str, ...] = HUB_LOGGERS) -> None:
    """Put the filter on every handler of these loggers, once (apps are built many times)."""
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
