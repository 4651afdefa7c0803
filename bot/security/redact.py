"""Redaction of secrets from what the desk stores and logs (policy §8): card numbers (Luhn),
passwords, one-time codes, card security codes, API keys and tokens.

Pure and standard library only: the hub (Python 3.11) and Rasa's tracker store (Python 3.10,
`rasa_addons.tracker_store`) both import it. Precise both ways — what must go and what must
stay is the corpus in `tests/unit/security/redaction_corpus.py` — and idempotent: redacting
redacted text changes nothing (Rasa's tracker store compares stored events with new ones).

When is a six-digit number a one-time code? Decided from the text alone, where it is stored:
- a word of codes stands a few words before it, or just after it (code, código, OTP, 2FA,
  verification, vérification, authenticator…), unless that word names another kind of code
  (error code, código postal, promo code…); or
- it is the whole message, give or take a few filler words ("483920", "it's 483 920",
  "c'est 483920, merci") — how a customer answers when asked for a code.
`redact(text, code_expected=True)` is for a place that knows a code was just asked for (the
tracker store sees the form's requested slot): then any 4–8 digit group is a code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

CARD = "[card number]"
CARD_CODE = "[card code]"
PASSWORD = "[password]"
CODE = "[code]"
SECRET = "[secret]"

# --- API keys and tokens -------------------------------------------------------------------
# Prefixes that issuers put on their secrets; a long tail of characters follows.
_KEY = re.compile(
    r"""(?x)(?<![\w-])(?:
        sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{20,}      # OpenAI, Anthropic
      | (?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}             # Stripe secret / restricted
      | xox[abposr]-[A-Za-z0-9-]{10,}                         # Slack
      | xapp-[A-Za-z0-9-]{10,}
      | gh[pousr]_[A-Za-z0-9]{30,}                            # GitHub
      | github_pat_[A-Za-z0-9_]{30,}
      | glpat-[A-Za-z0-9_-]{20,}                              # GitLab
      | (?:AKIA|ASIA)[0-9A-Z]{16}                             # AWS access key id
      | AIza[0-9A-Za-z_-]{35}                                 # Google
      | hf_[A-Za-z0-9]{30,}                                   # Hugging Face
      | npm_[A-Za-z0-9]{30,}
      | pypi-[A-Za-z0-9_-]{50,}
      | SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}            # SendGrid
      | eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}   # a JWT
      | \d{8,10}:AA[A-Za-z0-9_-]{30,}                         # a Telegram bot token
    )(?![\w-])"""
)
# `Authorization: Basic …`, `Bearer …`: a credential follows the scheme.
_AUTHORIZATION = re.compile(
    r"(?i)\b(authorization\s*[:=]\s*(?:(?:basic|bearer|token|digest)\s+)?)([^\s,;\"']+)"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)((?=[\w.~+/=-]*[\d.~+/=-])[\w.~+/=-]{12,})")
# `db_password=…`, `?hub.verify_token=…`, `api-key: …`, a socket's `sid=…`: a secret-named
# field and its value.
_FIELD = re.compile(
    r"(?i)(?<![\w.-])([\w.-]{0,40}?(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key"
    r"|apikey|access[_-]?key|private[_-]?key|signature)[\w.-]{0,40}|sid|session[_-]?id)"
    r"(\s*[:=]\s*)([^\s&,;\"'<>]+)"
)

# --- passwords and secrets said in words ----------------------------------------------------
_PASSWORD_WORD = (
    r"(?:passwords?|passwd|passphrase|passcode|pwd|contrase[ñn]as?|claves?|mots? de passe|mdp"
    r"|pin(?:\s+code)?|c[oó]digo\s+pin|code\s+pin)"
)
_WEAK_PASSWORD_WORD = r"(?:pass|pw)"  # only as `pass: …` / `pw=…`: "pass" is an ordinary word
_SECRET_WORD = (
    r"(?:api[ _-]?keys?|apikey|api[ _-]?token|access[ _-]?(?:key|token)|auth(?:entication)?"
    r"[ _-]?token|secret(?:[ _-]?key)?|client[ _-]?secret|private[ _-]?key|tokens?"
    r"|clave\s+(?:de\s+(?:la\s+)?)?api|clave\s+secreta|token\s+de\s+acceso"
    r"|cl[ée]\s+(?:d['’]|de\s+l['’])?api|cl[ée]\s+secr[eè]te|jetons?(?:\s+d['’]acc[eè]s)?)"
)
# "the password *for my account* is", "la contraseña *de mi cuenta* es", "le mot de passe
# *que j'utilise* est": a few words that start with a connector may stand before the verb.
_GAP = (
    r"(?:\s+(?:for|of|on|to|at|in|i|that|de|del|que|para|pour|du|sur|je|j['’]\w+|new|old"
    r"|current|temporary|nueva|nuevo|actual|temporal|nouveau|actuel|temporaire|provisoire)\b"
    r"(?:\s+[\w'’@.-]+){0,3}?)?"
)
_VERB = (
    r"(?:\s*(?:[:=]|->|=>)|\s+(?:is|was|'s|es|era|ser[aá]|est|[ée]tait|c['’]est|sera"
    r"|will\s+be)\b(?:\s*[:=])?)"
)
_NOW = (
    r"(?:\s+(?:now|still|actually|just|simply|currently|ahora|actualmente|todav[ií]a"
    r"|maintenant|d[ée]sormais|toujours|juste))?"
)
_QUOTED = r"\"[^\"\n]{1,64}\"|'[^'\n]{1,64}'|«[^»\n]{1,64}»|“[^”\n]{1,64}”"
# A bare value ends before sentence punctuation that is followed by a space or the end.
_VALUE = rf"(?P<value>{_QUOTED}|[\"'«“]?[^\s\"'«“]+?)(?P<tail>[.,;)]*)(?=\s|$)"
_SAID = {
    PASSWORD: re.compile(rf"(?i)\b(?P<head>{_PASSWORD_WORD}{_GAP}{_VERB}{_NOW}\s*){_VALUE}"),
    SECRET: re.compile(rf"(?i)\b(?P<head>{_SECRET_WORD}{_GAP}{_VERB}{_NOW}\s*){_VALUE}"),
}
_WEAK_PASSWORD = re.compile(rf"(?i)\b(?P<head>{_WEAK_PASSWORD_WORD}\s*[:=]\s*){_VALUE}")
# After "my password is…": words that describe a password rather than reveal it.
_DESCRIBING_WORDS = """
a an the my your his her our their this that it its i me not no none never always also
wrong incorrect invalid correct right valid expired expiring too very so really quite weak
strong long short simple complicated hard easy same different new old fine ok okay good
bad empty blank required mandatory missing case sensitive being been changed broken
locked blocked hacked stolen leaked compromised reset forgotten lost gone working useless
rejected refused accepted there here what which how
el la los las un una mi mis tu su sus nuestra este esta eso esto ya no nunca siempre
también incorrecta incorrecto inválida invalida inválido válida valida correcta correcto
caducada caducado vencida demasiado muy tan débil debil fuerte larga corta fácil facil
difícil dificil misma mismo igual otra otro distinta nueva nuevo vieja mala malo buena
errónea erronea bloqueada robada hackeada cambiada olvidada perdida
le les une mon ma mes ton ta tes son sa ses notre votre ce cet cette pas plus jamais
toujours aussi faux fausse incorrect incorrecte invalide valide correct correcte bon bonne
mauvais mauvaise trop très tres si faible fort forte long longue court courte simple
facile difficile même meme différent différente nouveau nouvelle ancien ancienne expiré
expirée bloqué bloquée piraté volé changé oublié perdu refusé
"""
_DESCRIBING = frozenset(_DESCRIBING_WORDS.split())
_PROSE_ENDING = re.compile(
    r"(?:ed|ing|ly|ado|ada|ido|ida|ados|adas|mente|é|ée|és|ées|ment)$", re.IGNORECASE
)
_KEY_LIKE = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[\w.~+/=-]{8,}|[\w.~+/=-]{24,}")

# --- cards --------------------------------------------------------------------------------
# 13–19 digits starting like a card (2–6), grouped by spaces, dots or dashes as people type.
_CARD = re.compile(r"(?<![\w.,+/-])[2-6](?:[ .-]?\d){12,18}(?![\w/-]|[.,]?\d)")
_CARD_CODE = re.compile(
    r"(?i)\b((?:cvv2?|cvc2?|cid|csc|security\s+code|c[oó]digo\s+de\s+seguridad"
    r"|cryptogramme(?:\s+visuel)?|code\s+de\s+s[ée]curit[ée])\s*(?:is|es|est|:|=|#)?\s*)"
    r"(\d{3,4})(?!\d)"
)

# --- one-time codes -----------------------------------------------------------------------
# Six digits, maybe split in threes ("483 920"), not part of a longer number or a word.
_CODE_CANDIDATE = re.compile(
    r"(?<!\d[ -])(?<![\w.,/+-])\d{3}[ -]?\d{3}(?![ -]?\d)(?![\w/-]|[.,]\d)"
)
_ANY_DIGITS = re.compile(r"(?<![\w-])\d(?:[ -]?\d){3,7}(?![\w-])")
_CODE_WORD = re.compile(
    r"(?i)\b(?:codes?|c[oó]digos?|otp|2fa|mfa|totp|pin|verif\w*|v[ée]rif\w*|authenticat\w*"
    r"|autentica\w*|authentifi\w*|one[- ]time|un\s+solo\s+uso|usage\s+unique|sms)\b"
)
# "error code 123456", "código postal", "code d'erreur": other codes, not secrets.
_OTHER_CODE_BEFORE = re.compile(
    r"(?i)\b(?:error|erreur|err|postal|zip|post|promo|promotional|discount|coupon|gift)\s+$"
)
_OTHER_CODE_AFTER = re.compile(
    r"(?i)^\s+(?:de\s+|d['’])?(?:error|erreur|postal|promo\w*|descuento|r[ée]duction|regalo)\b"
)
_CODE_FILLER_WORDS = """
it's its it is here the my code ok okay sure yes thanks thank you please
es el mi código codigo aquí aqui está esta sí si gracias por favor
c'est c’est voici voilà voila le mon code oui merci
"""
_CODE_FILLERS = frozenset(_CODE_FILLER_WORDS.split())
_MASKED = re.compile(
    "|".join(re.escape(marker) for marker in (CARD, CARD_CODE, PASSWORD, CODE, SECRET))
)
# "verification failed, order 123456": a clause break, or the number is another thing's.
_CONTEXT_BREAK = re.compile(
    r"(?i)[.,;!?]|\b(?:orders?|pedidos?|commandes?|invoices?|facturas?|factures?|tickets?"
    r"|ref(?:erence)?|referencia|r[ée]f[ée]rence|transactions?|transacci[oó]n|id)\b"
)
_WORDS = re.compile(r"[^\W\d]+(?:['’][^\W\d]+)?")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    """The longest Luhn-valid run of whole digit groups from the start is the card number;
    what follows it (an expiry, a CVC typed after it) stays for the next rules."""
    found = match.group()
    ends = [m.start() for m in re.finditer(r"[ .-]", found)] + [len(found)]
    for end in reversed(ends):
        digits = re.sub(r"\D", "", found[:end])
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return CARD + found[end:]
    return found


def _describes(value: str) -> bool:
    """A word that says what the password is like ("wrong", "expirée"), not what it is."""
    if not value.isalpha():
        return False
    return value.lower() in _DESCRIBING or (value.islower() and bool(_PROSE_ENDING.search(value)))


def _said(marker: str, looks_secret: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        quoted = value[:1] in "\"'«“"  # a quoted value is a secret whatever it says
        if _MASKED.fullmatch(value) or (not quoted and not looks_secret(value)):
            return match.group()
        return f"{match.group('head')}{marker}{match.group('tail')}"

    return replace


def _field(match: re.Match[str]) -> str:
    name, separator, value = match.groups()
    # "db_password: x", "password=x", "?token=x" are fields; "Password: I forgot it" or
    # "tokens: 500" is a sentence, left to the rules for secrets said in words.
    if (separator.strip() == ":" and name.isalpha()) or _MASKED.fullmatch(value):
        return match.group()
    marker = PASSWORD if re.search(r"(?i)pass|pwd", name) else SECRET
    return f"{name}{separator}{marker}"


def _is_code(text: str, match: re.Match[str]) -> bool:
    before, after = text[: match.start()], text[match.end() :]
    for word in _CODE_WORD.finditer(before[-60:]):
        stretch = before[-60:][word.end() :]
        prefix = before[-60:][: word.start()]
        if (
            len(stretch) <= 40
            and not re.search(r"\d", stretch)
            and not _CONTEXT_BREAK.search(stretch)
            and len(_WORDS.findall(stretch)) <= 5
            and not _OTHER_CODE_BEFORE.search(prefix)
            and not _OTHER_CODE_AFTER.match(stretch)
        ):
            return True
    following = _CODE_WORD.search(after[:30])
    if following is not None:
        stretch = after[: following.start()]
        if not (
            re.search(r"\d", stretch)
            or _CONTEXT_BREAK.search(stretch)
            or _OTHER_CODE_BEFORE.search(stretch)
        ):
            return True
    if len(before) + len(after) > 80:  # the whole answer is a few words at most
        return False
    rest = _WORDS.findall((before + " " + after).lower())
    return (
        len(rest) <= 4
        and all(word in _CODE_FILLERS for word in rest)
        and not re.search(r"\d", before + after)
    )


def _codes(text: str) -> str:
    # What is already masked counts as a number: the "code" in "[code]" is no context word,
    # and redacting twice changes nothing.
    scanned = _MASKED.sub(lambda m: "0" * len(m.group()), text)
    return _CODE_CANDIDATE.sub(lambda m: CODE if _is_code(scanned, m) else m.group(), text)


def redact(text: str, *, code_expected: bool = False) -> str:
    """`text` with card numbers (Luhn-valid), card security codes, passwords, API keys and
    tokens, and one-time codes masked. `code_expected`: a code was just asked for, so every
    group of 4–8 digits is one."""
    text = _KEY.sub(SECRET, text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{SECRET}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{SECRET}", text)
    text = _FIELD.sub(_field, text)
    text = _SAID[SECRET].sub(_said(SECRET, lambda v: bool(_KEY_LIKE.fullmatch(v))), text)
    text = _SAID[PASSWORD].sub(_said(PASSWORD, lambda v: not _describes(v)), text)
    text = _WEAK_PASSWORD.sub(_said(PASSWORD, lambda v: not _describes(v)), text)
    text = _CARD_CODE.sub(lambda m: f"{m.group(1)}{CARD_CODE}", text)
    text = _CARD.sub(_card, text)
    if code_expected:
        return _ANY_DIGITS.sub(CODE, text)
    return _codes(text)


_SECRET_KEY = re.compile(
    r"(?i)^(?:.*[_-])?(?:password|passwd|pwd|passcode|secret|token|api[_-]?key|apikey"
    r"|authorization|cvv|cvc|otp)(?:[_-].*)?$"
)


def redact_data(value: Any, *, code_expected: bool = False) -> Any:
    """A JSON-like value (metadata, event payloads) with every string redacted, keys too, and
    the whole value of a secret-named key (`password`, `api_key`, `access_token`…) masked."""
    if isinstance(value, str):
        return redact(value, code_expected=code_expected)
    if isinstance(value, Mapping):
        return {
            (redact(key) if isinstance(key, str) else key): (
                _masked(key, item, code_expected)
                if isinstance(key, str) and _SECRET_KEY.match(key)
                else redact_data(item, code_expected=code_expected)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_data(item, code_expected=code_expected) for item in value]
    return value


def _masked(key: str, value: Any, code_expected: bool) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str | int | float):
        return PASSWORD if re.search(r"(?i)pass|pwd", key) else SECRET
    return redact_data(value, code_expected=code_expected)
