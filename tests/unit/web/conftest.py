"""The help centre's fixtures: a small real index (the bot's own retriever over a few of the
real articles, embedded once per run) and the hub's app for the vote."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb import service
from bot.kb.articles import load_articles
from bot.kb.embedder import shared_embedder
from bot.kb.index import build_index
from bot.kb.paths import ARTICLES_DIR, CONFIG_PATH
from bot.kb.retriever import Retriever, RetrieverConfig
from tests.integration.conftest import app, client

__all__ = ["app", "client", "help_retriever", "real_retriever"]
# A few articles of three sections: enough for ranking to mean something, quick to embed.
INDEXED = frozenset({"download-hires", "download-formats", "password-reset", "refund-policy"})


@pytest.fixture(scope="session")
def real_retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    """The bot's retriever over an index of INDEXED, built with the real embedder."""
    folder: Path = tmp_path_factory.mktemp("help-index")
    chosen = [a for a in load_articles(ARTICLES_DIR) if a.id in INDEXED]
    build_index(ARTICLES_DIR, folder, embedder=shared_embedder, progress=False, articles=chosen)
    return Retriever(folder, RetrieverConfig.load(CONFIG_PATH))


@pytest.fixture
def help_retriever(real_retriever: Retriever, monkeypatch: pytest.MonkeyPatch) -> Retriever:
    """The help centre searching the small index instead of the published one."""
    monkeypatch.setattr(service, "retriever", lambda: real_retriever)
    return real_retriever
