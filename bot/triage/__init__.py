"""Triage: the support policy as data, and (later) the SLA clock."""
