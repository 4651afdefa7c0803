"""Inbound e-mail: raw RFC 5322 bytes parsed into what the desk needs, with no I/O."""
