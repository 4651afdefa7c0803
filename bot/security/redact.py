"""Redaction of secrets from what the desk stores (policy §8): card numbers, passwords, codes."""

from __future__ import annotations

import re

CARD = "[card number]"
PASSWORD = "[password]"
CODE = "[code]"

# 13–19 digits, optionally grouped by spaces or dashes, as people type card numbers.
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# "password: hunter2", "mi contraseña es ...", "mot de passe : ..." -> the word after it.
_PASSWORD = re.compile(
    r"(?i)\b(password|passcode|pwd|contraseña|contrasena|clave|mot de passe|mdp)"
    r"(\s*(?:is|es|est|era|was|:|=)\s*[:=]?\s*)(\S+?)([,;.!?]?)(?=\s|$)"
)
# One-time codes: exactly six digits standing alone.
_CODE = re.compile(r"(?<![\d-])\d{6}(?![\d-])")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return CARD if _luhn(digits) else match.group()


def redact(text: str) -> str:
    """`text` with card numbers (Luhn-valid), passwords and six-digit codes masked."""
    text = _CARD.sub(_card, text)
    text = _PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}{PASSWORD}{m.group(4)}", text)
    return _CODE.sub(CODE, text)
