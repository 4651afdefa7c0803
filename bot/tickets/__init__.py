"""Tickets: the handoff that opens one, what agents read and do with it, customers, canned
responses and the SLA monitor."""
