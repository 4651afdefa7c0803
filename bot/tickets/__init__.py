"""Tickets: customers, the handoff that opens a ticket, agent operations and the SLA monitor."""
