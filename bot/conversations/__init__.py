"""The message path every channel shares: each inbound message is stored first, the bot or the
ticket's people get it, and replies leave through the outbox."""
