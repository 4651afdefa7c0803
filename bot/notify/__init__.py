"""Outbound notifications of the desk to its own people (alerts), by Slack or email."""
