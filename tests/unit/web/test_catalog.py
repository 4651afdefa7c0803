"""Every article is filed on the catalog's shelves, the same way in every language, and
filing an article never changes what the knowledge-base index hashes."""

from __future__ import annotations

from collections import defaultdict

from bot.kb.articles import content_hash, load_articles
from bot.kb.paths import ARTICLES_DIR
from bot.language.detect import SUPPORTED
from bot.web.catalog import CATEGORIES, SECTIONS

ARTICLES = load_articles(ARTICLES_DIR)


def test_every_article_sits_in_a_section_of_its_category() -> None:
    for article in ARTICLES:
        assert article.section in SECTIONS, f"{article.lang}/{article.id}"
        category, _ = SECTIONS[article.section]
        assert category.shelf.id == article.category, f"{article.lang}/{article.id}"


def test_translations_share_their_filing() -> None:
    filing: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for article in ARTICLES:
        filing[article.id].add((article.category, article.section))
    assert {k: v for k, v in filing.items() if len(v) != 1} == {}


def test_every_section_holds_articles_and_every_shelf_is_named_in_every_language() -> None:
    used = {article.section for article in ARTICLES}
    for category in CATEGORIES:
        assert set(category.shelf.label) == set(category.shelf.blurb) == set(SUPPORTED)
        for section in category.sections:
            assert section.id in used, section.id
            assert set(section.label) == set(SUPPORTED)


def test_the_filing_lines_are_left_out_of_the_hash() -> None:
    plain = "---\nid: a\ntitle: A\ntopic: general\n---\nBody.\n"
    filed = "---\nid: a\ntitle: A\ntopic: general\ncategory: x\nsection: y\n---\nBody.\n"
    assert content_hash(filed) == content_hash(plain)
    # ...but only in the front matter: the body is the article.
    assert content_hash(plain + "section: y\n") != content_hash(plain)
