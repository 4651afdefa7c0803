from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb.articles import ArticleError, load_articles, parse_article, split_sections
from bot.kb.chunks import anchor, chunk_article

ARTICLE = """---
id: download-hires
title: "Downloading: full resolution"
topic: download_hires
tags: [downloads]
updated: 2026-11-20
url: /help/en/download-hires
questions:
  - hi res download
  - my print is blurry
---
Open the image and choose High resolution.

## Where the option is
Library → Download → High resolution.

## If it is greyed out
An ad blocker is usually the cause.
"""


def write(root: Path, lang: str, name: str, text: str) -> None:
    (root / lang).mkdir(parents=True, exist_ok=True)
    (root / lang / f"{name}.md").write_text(text)


def translated(lang: str) -> str:
    return ARTICLE.replace("/help/en/", f"/help/{lang}/")


def test_an_article_parses_with_its_sections_and_questions() -> None:
    article = parse_article(ARTICLE, "en", "x.md")
    assert (article.id, article.title, article.topic, article.updated) == (
        "download-hires",
        "Downloading: full resolution",
        "download_hires",
        "2026-11-20",
    )
    assert [s.heading for s in article.sections] == [
        None,
        "Where the option is",
        "If it is greyed out",
    ]
    assert article.questions == ("hi res download", "my print is blurry")


def test_sections_split_on_level_two_headings_only() -> None:
    sections = split_sections("intro\n### sub\nmore\n## A\na\n## B\nb")
    assert [(s.heading, s.text) for s in sections] == [
        (None, "intro\n### sub\nmore"),
        ("A", "a"),
        ("B", "b"),
    ]


def test_chunks_link_to_section_anchors_and_questions_to_the_article() -> None:
    chunks = chunk_article(parse_article(ARTICLE, "en", "x.md"))
    sections = [c for c in chunks if c.kind == "section"]
    questions = [c for c in chunks if c.kind == "question"]
    assert [c.url for c in sections] == [
        "/help/en/download-hires",
        "/help/en/download-hires#where-the-option-is",
        "/help/en/download-hires#if-it-is-greyed-out",
    ]
    assert [c.embed_text() for c in questions] == ["hi res download", "my print is blurry"]
    assert len({c.key for c in chunks}) == len(chunks)
    assert anchor("Résilier l'abonnement ?") == "resilier-l-abonnement"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter here", "no front matter"),
        ("---\nid: [unclosed\n---\nbody", "not valid YAML"),
        ("---\nid: x\n---\nbody", "lacks"),
        (ARTICLE.replace("topic: download_hires", "topic: pizza"), "unknown topic"),
        (ARTICLE.replace("id: download-hires", "id: Download Hires"), "id must be"),
    ],
)
def test_malformed_articles_name_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(text, "en", "kb/en/broken.md")
    assert "kb/en/broken.md" in str(caught.value)
    assert problem in str(caught.value)


def test_a_complete_help_centre_loads(tmp_path: Path) -> None:
    for lang in ("en", "es", "fr"):
        write(tmp_path, lang, "download-hires", translated(lang))
    assert sorted(a.lang for a in load_articles(tmp_path)) == ["en", "es", "fr"]


def test_missing_translation_fails_naming_the_missing_file(tmp_path: Path) -> None:
    write(tmp_path, "en", "download-hires", ARTICLE)
    write(tmp_path, "es", "download-hires", translated("es"))
    with pytest.raises(ArticleError, match=r"fr/download-hires\.md: missing translation"):
        load_articles(tmp_path)


def test_duplicate_ids_and_misnamed_files_fail(tmp_path: Path) -> None:
    for lang in ("en", "es", "fr"):
        write(tmp_path, lang, "download-hires", translated(lang))
    write(tmp_path, "en", "copy", ARTICLE)
    with pytest.raises(ArticleError) as caught:
        load_articles(tmp_path)
    assert "en/copy.md: id 'download-hires' differs from the file name" in str(caught.value)
    assert "duplicate id 'download-hires'" in str(caught.value)
