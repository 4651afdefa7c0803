from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversations.replays import RETENTION
from bot.db import async_url
from bot.settings import Settings, load_settings


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", "http://rasa.internal:5005")
    monkeypatch.setenv("MAX_TEXT_BYTES", "2048")
    settings = load_settings()
    assert (settings.rasa_url, settings.max_text_bytes) == ("http://rasa.internal:5005", 2048)


def test_empty_database_url_means_sqlite_under_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    assert load_settings().effective_database_url == f"sqlite:///{tmp_path / 'imageko.db'}"


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PORT", "70000")
    with pytest.raises(ValueError, match="hub_port"):
        load_settings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("postgresql://u:p%40ss@db:5432/desk", "postgresql+psycopg://u:p%40ss@db:5432/desk"),
        ("postgresql+psycopg://u@db/desk", "postgresql+psycopg://u@db/desk"),
    ],
)
def test_database_urls_get_async_drivers(url: str, expected: str) -> None:
    assert async_url(url) == expected


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        async_url("mysql://u@db/desk")


@pytest.mark.parametrize("name", ["telegram_max_age_s", "meta_max_age_s", "x_max_age_s"])
def test_no_freshness_window_outlasts_the_record_of_deliveries(name: str) -> None:
    """A replay older than the delivery record's retention would pass as new: each platform's
    window must stay within it, whatever an operator sets."""
    limit = RETENTION.total_seconds()
    assert getattr(Settings(_env_file=None, **{name: limit}), name) == limit  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=name):
        Settings(_env_file=None, **{name: limit + 1})  # type: ignore[call-arg]
