"""What Rasa keeps of a conversation in Redis (its tracker), deleted on request: a customer's
erasure must not leave their words in the assistant's store until the tracker expires."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

# endpoints.yml's tracker store `key_prefix: rasa`; Rasa adds its own "tracker:".
TRACKER_KEY_PREFIX = "rasa:tracker:"


async def forget_trackers(redis: Redis, conversation_ids: Sequence[str]) -> int:
    """Delete the trackers of these conversations (senders, to Rasa); how many existed."""
    if not conversation_ids:
        return 0
    return int(await redis.delete(*(TRACKER_KEY_PREFIX + cid for cid in conversation_ids)))
