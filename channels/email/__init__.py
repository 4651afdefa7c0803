"""The e-mail channel: raw RFC 5322 bytes parsed into what the desk needs, replies composed, and
the SMTP receiver and IMAP poller that bring mail in."""
