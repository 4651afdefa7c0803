"""The new text of a reply: quoted history and signatures cut, in English, Spanish and French."""

from __future__ import annotations

import re
import unicodedata

_ON_WROTE = re.compile(r"^\s*on\s.*\bwrote\s*:\s*$", re.IGNORECASE)
_EL_ESCRIBIO = re.compile(r"^\s*el\s.*\bescribi[óo]\s*:\s*$", re.IGNORECASE)
_LE_A_ECRIT = re.compile(r"^\s*le\s.*\ba\s+[ée]crit\s*:\s*$", re.IGNORECASE)
_REPLY_HEADER_START = re.compile(r"^\s*(on|el|le)\s", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(original message|mensaje original|message d['’]origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*_{4,}\s*$")
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|de)\s*:\s*\*?\s*\S", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\s*\*?(sent|date|to|subject|cc|enviado|fecha|para|asunto|envoyé|à|objet)\s*:",
    re.IGNORECASE,
)


def _is_reply_header(line: str) -> bool:
    """ "On <date>, <who> wrote:" in English, Spanish or French, with a date or an address."""
    if len(line) > 500 or not (re.search(r"\d", line) or "@" in line):
        return False
    line = unicodedata.normalize("NFC", line)
    return any(p.match(line) for p in (_ON_WROTE, _EL_ESCRIBIO, _LE_A_ECRIT))


def _outlook_header_at(lines: list[str], i: int) -> bool:
    """A "From: ..." block as Outlook quotes, after a blank line or a "____" separator."""
    if i == 0 or not _OUTLOOK_FROM.match(lines[i]):
        return False
    if lines[i - 1].strip() and not _SEPARATOR.match(lines[i - 1]):
        return False
    return "@" in lines[i] or any(_OUTLOOK_FIELD.match(line) for line in lines[i + 1 : i + 5])


def _quote_cut(lines: list[str]) -> int:
    """The index of the first line of quoted history or signature; len(lines) if none."""
    for i, line in enumerate(lines):
        if line in ("-- ", "--"):
            return i
        first = line.lstrip()[:1]  # cheap filter: the rules below start with one of these
        if first == "-" and _ORIGINAL_MESSAGE.match(line):
            return i
        if first in ("O", "o", "E", "e", "L", "l") and _REPLY_HEADER_START.match(line):
            if _is_reply_header(line):
                return i
            if (
                i + 1 < len(lines)
                and not _REPLY_HEADER_START.match(lines[i + 1])
                and _is_reply_header(f"{line.rstrip()} {lines[i + 1].strip()}")
            ):
                return i  # the header wrapped onto two lines
        if first in ("*", "F", "f", "D", "d") and _outlook_header_at(lines, i):
            return i - 1 if _SEPARATOR.match(lines[i - 1]) else i
    return len(lines)


def strip_quoted(text: str) -> str:
    """The new text of a reply: quoted history, ">" lines and the signature removed.

    Never empties a message: if nothing would be left, the original text is returned.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [line for line in lines[: _quote_cut(lines)] if not line.lstrip().startswith(">")]
    result = "\n".join(kept).strip()
    return result if result else text
