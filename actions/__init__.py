"""Rasa SDK custom actions: thin wrappers over the services in `bot/`."""
