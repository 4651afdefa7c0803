"""The hub's two callbacks as a channel sees them, recording what they were given."""

from __future__ import annotations

from channels.base.adapter import Inbound


class Desk:
    """`handle` keeps each message; `seen` remembers delivery ids (like Redis SET NX), and a
    failing `handle` forgets its id, so the platform's resend is handled."""

    def __init__(self) -> None:
        self.handled: list[Inbound] = []
        self.ids: set[str] = set()
        self.fail_next_handle = False

    async def handle(self, item: Inbound) -> None:
        if self.fail_next_handle:
            self.fail_next_handle = False
            self.ids.discard(item.delivery_id)  # as the hub does: a failure is not "seen"
            raise RuntimeError("database unavailable")
        self.handled.append(item)

    async def seen(self, delivery_id: str) -> bool:
        if delivery_id in self.ids:
            return True
        self.ids.add(delivery_id)
        return False

    def texts(self) -> list[str]:
        return [item.message.text for item in self.handled]
