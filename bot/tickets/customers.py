"""Who a customer is: found by their channel identity, their email or their account id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Customer, CustomerIdentity


def _text(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


class CustomerDirectory:
    """Looks customers up from what a channel knows about the sender."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def resolve(self, channel: str, metadata: Mapping[str, Any]) -> Customer | None:
        """The customer behind a message: the platform's user id, then email, then account id;
        None when the sender is unknown. Only trusted fields get here: messaging adapters set
        `external_user_id` from a signed delivery, email its From address, the web chat and
        REST only a signed identity's `account_id` (`bot.security.identity.trusted`)."""
        sender = _text(metadata, "external_user_id")
        email = _text(metadata, "email")
        account = _text(metadata, "account_id")
        async with self._sessions() as session:
            if sender is not None:
                found = await session.scalar(
                    select(Customer)
                    .join(CustomerIdentity)
                    .where(CustomerIdentity.channel == channel)
                    .where(CustomerIdentity.external_id == sender)
                )
                if found is not None:
                    return found
            if email is not None:
                found = await session.scalar(
                    select(Customer).where(Customer.email == email.lower())
                )
                if found is not None:
                    return found
            if account is not None:
                return await session.scalar(select(Customer).where(Customer.account_id == account))
        return None
