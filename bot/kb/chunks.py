"""Articles cut into retrievable chunks: the intro and each section."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from bot.kb.articles import Article
from bot.language.fold import fold


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable unit: a section of an article in one language."""

    key: str  # "<lang>/<article id>#<n>", stable while the article keeps its sections
    article_id: str
    lang: str
    title: str
    section: str | None
    text: str
    url: str
    topic: str
    article_sha: str
    kind: str = "section"  # or "question": leads to the article, never shown as the answer

    def embed_text(self) -> str:
        """What the embedding model sees: the title and heading give a section its subject;
        a question is embedded as the customer wrote it."""
        if self.kind == "question":
            return self.text
        return ". ".join(part for part in (self.title, self.section, self.text) if part)

    def to_json(self) -> str:
        """One line of `chunks.jsonl`."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Chunk:
        """Read one line of `chunks.jsonl`."""
        return cls(**json.loads(line))


def anchor(heading: str) -> str:
    """URL fragment for a section heading ("Turn on 2FA" -> "turn-on-2fa")."""
    return re.sub(r"[^a-z0-9]+", "-", fold(heading)).strip("-")


def chunk_article(article: Article) -> list[Chunk]:
    """The article's intro and sections, each a chunk linking to its own anchor, then one
    chunk per customer question listed in its front matter."""
    sections = [
        Chunk(
            key=f"{article.lang}/{article.id}#{n}",
            article_id=article.id,
            lang=article.lang,
            title=article.title,
            section=section.heading,
            text=section.text,
            url=f"{article.url}#{anchor(section.heading)}" if section.heading else article.url,
            topic=article.topic,
            article_sha=article.sha256,
        )
        for n, section in enumerate(article.sections)
        if section.text
    ]
    questions = [
        Chunk(
            key=f"{article.lang}/{article.id}#q{n}",
            article_id=article.id,
            lang=article.lang,
            title=article.title,
            section=None,
            text=question,
            url=article.url,
            topic=article.topic,
            article_sha=article.sha256,
            kind="question",
        )
        for n, question in enumerate(article.questions)
    ]
    return sections + questions
