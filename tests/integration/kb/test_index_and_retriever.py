"""The index builder and the retriever on a small help centre, with the real model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.kb.articles import ArticleError
from bot.kb.embedder import Embedder
from bot.kb.index import build_dense, build_index, current_build
from bot.kb.retriever import Decision, Retriever, RetrieverConfig
from tests.integration.kb.conftest import ARTICLES, article_text, write_help_centre

# Thresholds of a calibrated config are learned on the real help centre; these only exercise
# the three decisions on this small one.
CONFIG = RetrieverConfig(answer_threshold=0.5, clarify_threshold=0.3)


@pytest.fixture
def built(tmp_path: Path, embedder: Embedder) -> tuple[Path, Path]:
    articles = write_help_centre(tmp_path / "articles")
    index = tmp_path / "index"
    build_index(articles, index, embedder=lambda: embedder, progress=False)
    return articles, index


@pytest.fixture
def retriever(built: tuple[Path, Path], embedder: Embedder) -> Retriever:
    return Retriever(built[1], CONFIG, embedder)


@pytest.mark.parametrize(
    ("query", "lang", "article"),
    [
        ("how do I get the big version of my image", "en", "download-hires"),
        ("no recuerdo mi contraseña", "es", "password-reset"),
        ("je voudrais être remboursé de mon abonnement", "fr", "refund-policy"),
    ],
)
def test_the_right_article_comes_first_in_the_customer_language(
    retriever: Retriever, query: str, lang: str, article: str
) -> None:
    top = retriever.search(query, lang).hits[0]
    assert (top.article_id, top.lang) == (article, lang)
    assert top.url.startswith(f"/help/{lang}/{article}")
    assert top.snippet


def test_a_question_chunk_leads_to_the_article_text_not_the_question(retriever: Retriever) -> None:
    top = retriever.search("My print is blurry", "en").hits[0]
    assert top.article_id == "download-hires"
    assert top.snippet != "My print is blurry"


def test_unsupported_language_still_finds_an_article(retriever: Retriever) -> None:
    assert retriever.search("Passwort vergessen password", "de").hits


@pytest.mark.parametrize(
    "query", ["", "   \n\t ", "🔥🔥👍", "x" * 10_000, "?!.,", "مرحبا password Пароль 密码"]
)
def test_bad_queries_get_a_clean_result(retriever: Retriever, query: str) -> None:
    result = retriever.answer(query, "en")
    assert result.decision in set(Decision)
    if not query.strip() or query in {"🔥🔥👍", "?!.,"}:
        assert (result.decision, result.hits) == (Decision.NONE, [])


def test_unchanged_articles_are_not_rebuilt(built: tuple[Path, Path], embedder: Embedder) -> None:
    articles, index = built
    report = build_index(articles, index, embedder=lambda: embedder, progress=False)
    assert not report.changed


def test_only_changed_articles_are_re_embedded(
    built: tuple[Path, Path], embedder: Embedder
) -> None:
    articles, index = built
    (articles / "es" / "refund-policy.md").write_text(
        article_text("refund-policy", "es", " También los cargos duplicados.")
    )
    report = build_index(articles, index, embedder=lambda: embedder, progress=False)
    assert report.changed
    assert report.embedded == 3  # intro, one section, one question of that one file
    assert report.reused == report.chunks - 3


def test_a_broken_article_fails_the_build_and_the_old_index_keeps_serving(
    built: tuple[Path, Path], retriever: Retriever, embedder: Embedder
) -> None:
    articles, index = built
    before = current_build(index)
    (articles / "fr" / "password-reset.md").write_text("no front matter")
    with pytest.raises(ArticleError, match=r"fr/password-reset\.md"):
        build_index(articles, index, embedder=lambda: embedder, progress=False)
    assert current_build(index) == before
    assert retriever.search("I forgot my password", "en").hits[0].article_id == "password-reset"


def test_a_new_build_is_picked_up_without_a_restart(
    built: tuple[Path, Path], retriever: Retriever, embedder: Embedder
) -> None:
    articles, index = built
    assert "status-page" not in retriever.search("is the service down", "en").article_ids
    ARTICLES["status-page"] = (
        "service_status",
        {
            lang: (
                "Service status",
                "See status.imageko.com for outages and incidents.",
                "is it down",
            )
            for lang in ("en", "es", "fr")
        },
    )
    try:
        for lang in ("en", "es", "fr"):
            (articles / lang / "status-page.md").write_text(article_text("status-page", lang))
        build_index(articles, index, embedder=lambda: embedder, progress=False)
    finally:
        del ARTICLES["status-page"]
    assert retriever.search("is the service down", "en").hits[0].article_id == "status-page"


def test_confident_unconfident_and_in_between_questions(retriever: Retriever) -> None:
    retriever.config = RetrieverConfig(answer_threshold=0.99, clarify_threshold=0.0)
    assert retriever.answer("I forgot my password", "en").decision is Decision.CLARIFY
    retriever.config = RetrieverConfig(answer_threshold=0.0, clarify_threshold=0.0)
    answered = retriever.answer("I forgot my password", "en")
    assert (answered.decision, len(answered.hits)) == (Decision.ANSWER, 1)
    retriever.config = RetrieverConfig(answer_threshold=1.0, clarify_threshold=1.0)
    assert retriever.answer("I forgot my password", "en").decision is Decision.NONE


def test_large_collections_switch_to_an_approximate_index() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = build_dense(vectors, ann_threshold=10_000)
    approx = build_dense(vectors, ann_threshold=1_000, nprobe=64)
    assert type(exact).__name__ == "IndexFlatIP"
    assert type(approx).__name__ == "IndexIVFFlat"
    _, truth = exact.search(vectors[:50], 1)
    _, found = approx.search(vectors[:50], 1)
    assert (truth == found).mean() >= 0.9
