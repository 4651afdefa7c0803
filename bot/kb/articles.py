"""Help-centre articles: Markdown files with front matter, one per article and language."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.triage.policy import GENERAL_ARTICLE_TOPIC, TOPICS

LANGS = ("en", "es", "fr")
FIELDS = frozenset({"id", "title", "topic", "tags", "updated", "url"})  # required
# Optional: `questions`, the ways customers ask for what the article answers; `category` and
# `section`, where the help centre files it (bot/web/catalog.py names them).
# Filing is the help centre's business, not the retriever's: those lines are left out of the
# hash, so moving an article between sections never re-embeds it.
_FILING = re.compile(r"^(?:category|section):.*\n", re.M)
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class ArticleError(ValueError):
    """One or more articles are malformed; each problem names its file."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class Section:
    """A `## ` section of an article (the intro has no heading)."""

    heading: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """One article in one language."""

    id: str
    lang: str
    title: str
    topic: str
    tags: tuple[str, ...]
    updated: str
    url: str
    sections: tuple[Section, ...]
    sha256: str
    questions: tuple[str, ...] = ()
    category: str = ""
    section: str = ""


def content_hash(text: str) -> str:
    """SHA-256 of an article file without its filing lines (`category:`, `section:`)."""
    end = text.find("\n---", 3) + 1  # past the front matter's last line (0: no front matter)
    kept = _FILING.sub("", text[:end]) + text[end:] if end else text
    return hashlib.sha256(kept.encode()).hexdigest()


def split_sections(body: str) -> tuple[Section, ...]:
    """The intro (text before the first `## `) and each `## ` section, in order."""
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    for line in body.splitlines():
        if line.startswith("## "):
            if heading is not None or "".join(lines).strip():
                sections.append(Section(heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        else:
            lines.append(line)
    if heading is not None or "".join(lines).strip():
        sections.append(Section(heading, "\n".join(lines).strip()))
    return tuple(sections)


def parse_article(text: str, lang: str, where: str) -> Article:
    """Parse one article file's text; raises `ArticleError` naming `where`."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if match is None:
        raise ArticleError([f"{where}: no front matter (--- ... ---) at the top"])
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise ArticleError([f"{where}: front matter is not valid YAML ({exc})"]) from exc
    if not isinstance(meta, dict):
        raise ArticleError([f"{where}: front matter must be a mapping"])
    problems = []
    missing = FIELDS - set(meta)
    if missing:
        problems.append(f"{where}: front matter lacks {', '.join(sorted(missing))}")
    if not _ID.match(str(meta.get("id", ""))):
        problems.append(f"{where}: id must be lowercase letters, digits and dashes")
    topic = meta.get("topic")
    if topic not in TOPICS and topic != GENERAL_ARTICLE_TOPIC:
        problems.append(f"{where}: unknown topic {topic!r}")
    for listed in ("tags", "questions"):
        value = meta.get(listed, [])
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            problems.append(f"{where}: {listed} must be a list of strings")
    sections = split_sections(match.group(2))
    if not any(section.text for section in sections):
        problems.append(f"{where}: the article has no text")
    if problems:
        raise ArticleError(problems)
    updated = meta["updated"]
    return Article(
        id=str(meta["id"]),
        lang=lang,
        title=str(meta["title"]),
        topic=str(topic),
        tags=tuple(str(tag) for tag in meta["tags"]),
        updated=updated.isoformat() if isinstance(updated, dt.date) else str(updated),
        url=str(meta["url"]),
        sections=sections,
        sha256=content_hash(text),
        questions=tuple(str(q) for q in meta.get("questions") or ()),
        category=str(meta.get("category") or ""),
        section=str(meta.get("section") or ""),
    )


def load_articles(root: Path, langs: tuple[str, ...] = LANGS) -> list[Article]:
    """Every article under `root/<lang>/*.md`, checked as a whole.

    Raises `ArticleError` listing every problem: malformed files, ids that do not match their
    file name, duplicates, and articles missing in one of the languages.
    """
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], Path] = {}
    by_id: dict[str, set[str]] = defaultdict(set)
    for lang in langs:
        for path in sorted((root / lang).glob("*.md")):
            try:
                article = parse_article(path.read_text(encoding="utf-8"), lang, str(path))
            except (ArticleError, UnicodeDecodeError) as exc:
                problems.extend(getattr(exc, "problems", [f"{path}: not UTF-8 text"]))
                continue
            if article.id != path.stem:
                problems.append(f"{path}: id {article.id!r} differs from the file name")
            if (lang, article.id) in seen:
                problems.append(
                    f"{path}: duplicate id {article.id!r} (also {seen[lang, article.id]})"
                )
                continue
            seen[lang, article.id] = path
            by_id[article.id].add(lang)
            articles.append(article)
    for article_id, present in sorted(by_id.items()):
        for lang in langs:
            if lang not in present:
                problems.append(f"{root / lang / (article_id + '.md')}: missing translation")
    if problems:
        raise ArticleError(problems)
    if not articles:
        raise ArticleError([f"{root}: no articles found"])
    return articles
