"""The help centre's pages as a reader gets them: shelves, breadcrumbs, related articles, the
language switcher, search from the bot's retriever, and nothing of an article read as HTML."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.http.errors import install_error_handlers
from bot.kb.articles import Article, Section
from bot.kb.retriever import Retriever
from bot.web import helpcentre


@pytest.fixture(scope="module")
def web() -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(helpcentre.router)
    with TestClient(app) as client:
        yield client


def _texts(html: str, pattern: str) -> list[str]:
    """The text of each match of `pattern`'s group, tags stripped."""
    found = re.findall(pattern, html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in found]


def test_home_shows_each_category_with_its_sections_and_counts(web: TestClient) -> None:
    html = web.get("/help/en/").text
    cards = _texts(html, r'<li class="card">\s*<h3>(.*?)</h3>')
    assert cards == [
        "Account and security",
        "Plans and billing",
        "Creating images",
        "Rights and content policy",
        "Getting help",
    ]
    counts = [int(n) for n in re.findall(r'<p class="count">(\d+) articles</p>', html)]
    assert sum(counts) == 49
    assert '/help/en/categories/billing#cancel-refund">Cancelling and refunds</a>' in html
    assert re.search(r"Cancelling and refunds</a> <span class=\"count\">3</span>", html)


def test_home_is_in_the_readers_language(web: TestClient) -> None:
    html = web.get("/help/fr/").text
    assert "Offres et facturation" in html
    assert 'lang="fr"' in html


def test_a_category_lists_its_sections_and_articles(web: TestClient) -> None:
    html = web.get("/help/es/categories/billing").text
    assert _texts(html, r'<section class="shelf"[^>]*>\s*<h2[^>]*>(.*?)</h2>') == [
        "Planes y créditos 5",
        "Pagos y facturas 5",
        "Cancelación y reembolsos 3",
    ]
    assert 'href="/help/es/refund-policy"' in html
    assert 'href="/help/fr/categories/billing"' in html  # the switcher keeps the page
    assert web.get("/help/en/categories/nothing").status_code == 404


def test_an_article_has_breadcrumbs_related_articles_and_a_switcher(web: TestClient) -> None:
    html = web.get("/help/en/refund-policy").text
    crumbs = _texts(html, r'<nav class="crumbs"[^>]*>(.*?)</nav>')[0]
    assert crumbs == "Help centre Plans and billing Cancelling and refunds"
    related = re.findall(r'<aside class="related".*?</aside>', html, re.S)[0]
    links = re.findall(r'href="/help/en/([a-z0-9-]+)"', related)
    assert links[:2] == ["cancel-subscription", "cancel-what-happens"]  # its section first
    assert "refund-policy" not in links
    assert len(links) == 5
    for other in ("es", "fr"):
        assert f'href="/help/{other}/refund-policy" hreflang="{other}"' in html
    assert 'action="/help/en/refund-policy/vote"' in html


def test_after_a_vote_the_article_thanks_the_reader(web: TestClient) -> None:
    html = web.get("/help/fr/refund-policy?voted=true").text
    assert "Merci pour votre avis." in html
    assert "/vote" not in html


def test_nothing_of_an_article_is_read_as_html(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    evil = Article(
        id="evil",
        lang="en",
        title="<b>Bold</b> title",
        topic="general",
        tags=(),
        updated="2026-12-01",
        url="/help/en/evil",
        sections=(Section(None, 'Hi <img src=x onerror="alert(1)"> **there**'),),
        sha256="0",
        category="billing",
        section="plans",
    )
    monkeypatch.setattr(helpcentre, "articles", lambda: {("en", "evil"): evil})
    html = web.get("/help/en/evil").text
    assert "<b>Bold</b>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in html
    assert "<img" not in html
    assert "<strong>there</strong>" in html


def test_a_snippet_reads_as_words_not_markdown() -> None:
    assert helpcentre.plain("Open **Settings → Billing** & [help](https://x.example)") == (
        "Open Settings → Billing & help"
    )
    assert helpcentre.plain("<b>no</b> tags") == "<b>no</b> tags"  # shown escaped, as typed


def test_search_answers_from_the_bots_retriever(web: TestClient, help_retriever: Retriever) -> None:
    html = web.get("/help/en/search", params={"q": "can I get my money back"}).text
    first = re.findall(r'<ol class="results">\s*<li><a href="([^"]+)"', html)
    assert first == ["/help/en/refund-policy"]
    body = web.get("/help/es/search.json", params={"q": "descargar en alta resolución"}).json()
    assert body["results"][0]["url"] == "/help/es/download-hires"
    assert body["results"][0]["where"] == "Crear imágenes › Descargas y mejora"
    assert len(body["results"]) <= 5


def test_the_query_is_shown_escaped_and_an_empty_one_finds_nothing(
    web: TestClient, help_retriever: Retriever
) -> None:
    html = web.get("/help/en/search", params={"q": "<script>x</script>"}).text
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html
    assert web.get("/help/en/search.json", params={"q": " "}).json()["results"] == []
    assert web.get("/help/de/search.json", params={"q": "x"}).status_code == 404
