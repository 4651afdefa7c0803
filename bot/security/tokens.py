"""Customer-side conversation tokens: whoever holds a conversation's token may read and write
it, nobody else. Stateless: the token is an HMAC of the conversation id under SECRET_KEY, so
every hub checks it without a lookup, and only ids the desk made itself ever get one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

# Keeps these MACs apart from every other use of the same key (identity tokens, code hashes).
PURPOSE = b"imageko conversation token v1:"
# The public conversations the desk makes: REST (`api-`) and web chat (`webchat-`). Platform
# conversations (telegram:, slack:, email-...) never match, so no token can name one.
PUBLIC_ID = re.compile(r"^(api|webchat)-[0-9a-f]{32}$")
MAX_TOKEN = 128


def new_conversation_id(kind: str) -> str:
    """A fresh, unguessable id for a public conversation (`api` or `webchat`)."""
    conversation_id = f"{kind}-{uuid.uuid4().hex}"
    if not PUBLIC_ID.match(conversation_id):
        raise ValueError(f"not a public conversation kind: {kind!r}")
    return conversation_id


def conversation_token(conversation_id: str, key: bytes) -> str:
    """The conversation's token: URL-safe base64 of HMAC-SHA256 over the purpose and the id."""
    mac = hmac.new(key, PURPOSE + conversation_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_matches(conversation_id: str, token: object, key: bytes) -> bool:
    """True when `token` is this public conversation's token (constant-time comparison)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or not token.isascii():
        return False
    if not PUBLIC_ID.match(conversation_id):
        return False
    return hmac.compare_digest(token.encode(), conversation_token(conversation_id, key).encode())


class ConversationTokens:
    """Makes conversations and checks their tokens with one key (the web chat's signer)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def new(self, kind: str) -> tuple[str, str]:
        """A fresh public conversation of `kind` (`api`, `webchat`) and its token."""
        conversation_id = new_conversation_id(kind)
        return conversation_id, conversation_token(conversation_id, self._key)

    def valid(self, conversation_id: str, token: object) -> bool:
        """Whether `token` opens `conversation_id`."""
        return token_matches(conversation_id, token, self._key)
