"""The attack-style tests run against the same real app as the integration tests: the hub on a
migrated SQLite file and the machine's Redis, Rasa down."""

from tests.integration.conftest import app, client

__all__ = ["app", "client"]
