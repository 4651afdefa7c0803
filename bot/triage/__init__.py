"""Triage: the support policy as data, the routing decision and the SLA clock."""
