"""Body text tidied for keeping: one newline style, no trailing spaces or stray controls."""

from __future__ import annotations

import re

from channels.email.headers import fix_surrogates

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MANY_BLANK_LINES = re.compile(r"\n{4,}")


def tidy(text: str) -> str:
    """Newlines as \\n, no trailing spaces, at most two blank lines in a row, no stray controls."""
    text = fix_surrogates(text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _MANY_BLANK_LINES.sub("\n\n\n", text).strip()
