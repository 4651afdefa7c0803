"""The process-wide retriever the hub and the actions share."""

from __future__ import annotations

from functools import cache

from bot.kb.paths import CONFIG_PATH, INDEX_DIR
from bot.kb.retriever import Hit, KBResult, Retriever, RetrieverConfig


@cache
def retriever() -> Retriever:
    """The retriever over the published index (loaded on first use, hot-reloaded after)."""
    return Retriever(INDEX_DIR, RetrieverConfig.load(CONFIG_PATH))


def warm_up() -> None:
    """Load the model and the index now, not on a customer's first question."""
    retriever().search("warm up", "en")


def answer(question: str, lang: str) -> KBResult:
    """The retriever's decision on a customer's question."""
    return retriever().answer(question, lang)


def article(article_id: str, lang: str) -> Hit | None:
    """An article's opening section, in `lang` if it exists there (for a picked suggestion)."""
    index = retriever().index()
    for candidate in (lang, "en"):
        rows = index.by_article.get((article_id, candidate))
        if rows:
            chunk = index.chunks[rows[0]]
            return Hit(
                chunk.article_id,
                chunk.lang,
                chunk.title,
                chunk.section,
                chunk.text,
                chunk.url,
                chunk.topic,
                1.0,
            )
    return None
