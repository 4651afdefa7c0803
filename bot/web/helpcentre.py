"""The help centre: the knowledge-base articles as pages, shelved by category and section,
searched with the bot's own retriever."""

from __future__ import annotations

import asyncio
import html
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import nh3
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.errors import NotFound
from bot.kb import service as kb
from bot.kb.articles import Article, load_articles
from bot.kb.paths import ARTICLES_DIR
from bot.kb.retriever import Hit
from bot.language.detect import SUPPORTED
from bot.triage import policy
from bot.web import shelves
from bot.web.strings import UI
from channels.base.markup import to_html

# Jinja autoescapes every value; the only markup let through is `to_html`'s, which drops raw
# HTML from the Markdown and cleans the rest against an allow-list.
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LANGS = tuple(sorted(SUPPORTED))
SEARCH_HITS = 8  # the results page
SUGGESTIONS = 5  # as you type: a short list under the box
router = APIRouter(tags=["help centre"])


@cache
def articles() -> dict[tuple[str, str], Article]:
    """Every article by (language, id), read once."""
    return {(a.lang, a.id): a for a in load_articles(ARTICLES_DIR)}


def find(lang: str, article_id: str) -> Article:
    """The article, or 404."""
    found = articles().get((_lang(lang), article_id))
    if found is None:
        raise NotFound(f"no article {article_id!r} in {lang}", code="no_such_article")
    return found


def _lang(lang: str) -> str:
    if lang not in SUPPORTED:
        raise NotFound(f"the help centre is in {', '.join(LANGS)}", code="no_such_lang")
    return lang


def _of(lang: str) -> list[Article]:
    return [a for (code, _), a in articles().items() if code == lang]


def _body(article: Article) -> str:
    parts = []
    for section in article.sections:
        if section.heading:
            parts.append(f"## {section.heading}\n")
        parts.append(section.text)
    return to_html("\n\n".join(parts))


def _page(
    request: Request, template: str, lang: str, tail: str = "", **context: Any
) -> HTMLResponse:
    """A page, with the language switcher pointing at the same page (`tail` after
    /help/<lang>/) in each language."""
    switch = {other: f"/help/{other}/{tail}" for other in LANGS}
    return TEMPLATES.TemplateResponse(
        request, template, {"lang": lang, "ui": UI[lang], "switch": switch, **context}
    )


async def _search(q: str, lang: str, k: int = SEARCH_HITS) -> list[Hit]:
    if not q.strip():
        return []
    ranking = await asyncio.to_thread(kb.retriever().search, q, lang, k)
    return ranking.hits


def plain(markdown: str) -> str:
    """A snippet's Markdown as the words a reader sees (no `**`, no links' URLs), as text
    for the templates to escape."""
    return html.unescape(nh3.clean(to_html(markdown), tags=set())).strip()


def _where(hit: Hit) -> str:
    """Where a hit is filed, as its breadcrumbs read: "Plans and billing › Refunds"."""
    found = articles().get((hit.lang, hit.article_id))
    place = shelves.place(found) if found else None
    return " › ".join(shelf.label[hit.lang] for shelf in place) if place else ""


Q = Annotated[str, Query(max_length=300)]


@router.get("/help", include_in_schema=False)
async def help_root() -> RedirectResponse:
    """The English help centre."""
    return RedirectResponse("/help/en/")


@router.get("/help/{lang}/", response_class=HTMLResponse)
async def index(request: Request, lang: str) -> HTMLResponse:
    """The categories, each with its sections and how many articles they hold."""
    lang = _lang(lang)
    return _page(request, "index.html", lang, shelves=shelves.shelve(_of(lang)))


@router.get("/help/{lang}/categories/{category_id}", response_class=HTMLResponse)
async def category(request: Request, lang: str, category_id: str) -> HTMLResponse:
    """One category: its sections and their articles."""
    lang = _lang(lang)
    mine = [a for a in _of(lang) if a.category == category_id]
    shelved = shelves.shelve(mine)
    if not shelved:
        raise NotFound(f"no category {category_id!r}", code="no_such_category")
    return _page(request, "category.html", lang, f"categories/{category_id}", shelf=shelved[0])


@router.get("/help/{lang}/search", response_class=HTMLResponse)
async def search(request: Request, lang: str, q: Q = "") -> HTMLResponse:
    """Results for a query, from the same retriever the bot answers with (no script needed)."""
    lang = _lang(lang)
    hits = await _search(q, lang)
    tail = "search?" + urlencode({"q": q}) if q else "search"
    found = [(hit, _where(hit), plain(hit.snippet)) for hit in hits]
    return _page(request, "search.html", lang, tail, q=q, hits=found)


@router.get("/help/{lang}/search.json")
async def search_json(lang: str, q: Q = "") -> JSONResponse:
    """The same results as data, for the search box's suggestions as you type."""
    lang = _lang(lang)
    hits = await _search(q, lang, SUGGESTIONS)
    results = [
        {
            "title": hit.title,
            "where": _where(hit),
            "snippet": plain(hit.snippet),
            "url": f"/help/{hit.lang}/{hit.article_id}",
        }
        for hit in hits
    ]
    return JSONResponse({"q": q, "results": results})


@router.get("/help/{lang}/contact", response_class=HTMLResponse)
async def contact(request: Request, lang: str) -> HTMLResponse:
    """Channels, hours and response times, from the policy data (never retyped)."""
    lang = _lang(lang)
    hours = {
        "open": policy.BUSINESS_OPEN.strftime("%H:%M"),
        "close": policy.BUSINESS_CLOSE.strftime("%H:%M"),
    }
    rules = [
        (rule.case, int(rule.first_response.total_seconds() // 3600), rule.resolution_days)
        for rule in policy.SLA_RULES.values()
    ]
    return _page(
        request, "contact.html", lang, "contact", queues=policy.QUEUES, hours=hours, rules=rules
    )


@router.get("/help/{lang}/{article_id}", response_class=HTMLResponse)
async def article(
    request: Request, lang: str, article_id: str, voted: Annotated[bool, Query()] = False
) -> HTMLResponse:
    """One article, with where it is filed, related articles and the helpfulness vote."""
    found = find(lang, article_id)
    return _page(
        request,
        "article.html",
        found.lang,
        found.id,
        article=found,
        body=_body(found),
        place=shelves.place(found),
        related=shelves.related(found, _of(found.lang)),
        voted=voted,
    )
