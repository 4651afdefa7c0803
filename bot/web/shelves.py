"""Articles put on the catalog's shelves: what the home, category and article pages list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.kb.articles import Article
from bot.web.catalog import CATEGORIES, SECTIONS, Category, Shelf


@dataclass(frozen=True, slots=True)
class ShelvedSection:
    """A section and its articles (by title)."""

    shelf: Shelf
    articles: tuple[Article, ...]


@dataclass(frozen=True, slots=True)
class ShelvedCategory:
    """A category, its non-empty sections and how many articles it holds."""

    category: Category
    sections: tuple[ShelvedSection, ...]

    @property
    def count(self) -> int:
        """Articles in the category."""
        return sum(len(section.articles) for section in self.sections)


def shelve(articles: Iterable[Article]) -> list[ShelvedCategory]:
    """The catalog's categories in order, each with its sections' articles sorted by title;
    empty sections and categories are left out."""
    by_section: dict[str, list[Article]] = {}
    for article in articles:
        by_section.setdefault(article.section, []).append(article)
    shelved = []
    for category in CATEGORIES:
        sections = tuple(
            ShelvedSection(section, tuple(sorted(by_section[section.id], key=_title)))
            for section in category.sections
            if by_section.get(section.id)
        )
        if sections:
            shelved.append(ShelvedCategory(category, sections))
    return shelved


def place(article: Article) -> tuple[Shelf, Shelf] | None:
    """The article's category and section shelves (its breadcrumbs), if it is filed."""
    found = SECTIONS.get(article.section)
    if found is None or found[0].shelf.id != article.category:
        return None
    return found[0].shelf, found[1]


def related(article: Article, articles: Iterable[Article], limit: int = 5) -> list[Article]:
    """Other articles of the same language: its section's first, then its category's, then
    those on the same topic; each group by title."""
    others = [a for a in articles if a.lang == article.lang and a.id != article.id]

    def rank(other: Article) -> int:
        if other.section == article.section:
            return 0
        if other.category == article.category:
            return 1
        return 2 if other.topic == article.topic else 3

    near = sorted((a for a in others if rank(a) < 3), key=lambda a: (rank(a), _title(a)))
    return near[:limit]


def _title(article: Article) -> str:
    return article.title.casefold()
