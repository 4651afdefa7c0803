"""Messenger and Instagram DMs (Meta Graph API over httpx): one signed webhook in, the Send API
out. The two channels share everything but their names, limits and tokens."""
