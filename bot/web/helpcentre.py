"""The help centre: the knowledge-base articles as pages, searched with the bot's retriever."""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.errors import NotFound
from bot.kb import service as kb
from bot.kb.articles import Article, load_articles
from bot.kb.paths import ARTICLES_DIR
from bot.language.detect import SUPPORTED
from bot.triage import policy
from channels.base.markup import to_html

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Articles are written by our editors, but markdown must still never carry raw HTML.
UI: dict[str, dict[str, Any]] = {
    "en": {
        "title": "imageko help centre",
        "search": "Search the help centre",
        "go": "Search",
        "contact": "Contact us",
        "results": "Results for",
        "none": "No article matches.",
        "email": "Email",
        "chat": "Live chat",
        "days": "Monday–Friday",
        "times": "Response times",
        "case": "Case",
        "first": "First response",
        "plan": "Resolution plan",
        "bdays": "business days",
        "cases": {
            "urgent": "Fraud, hacked account, security breach",
            "complaint": "Complaint",
            "premium": "Premium and enterprise plans",
            "free": "Free plan",
        },
    },
    "es": {
        "title": "Centro de ayuda de imageko",
        "search": "Buscar en el centro de ayuda",
        "go": "Buscar",
        "contact": "Contacto",
        "results": "Resultados para",
        "none": "Ningún artículo coincide.",
        "email": "Correo electrónico",
        "chat": "Chat en directo",
        "days": "de lunes a viernes",
        "times": "Tiempos de respuesta",
        "case": "Caso",
        "first": "Primera respuesta",
        "plan": "Plan de resolución",
        "bdays": "días hábiles",
        "cases": {
            "urgent": "Fraude, cuenta hackeada, brecha de seguridad",
            "complaint": "Reclamación",
            "premium": "Planes premium y enterprise",
            "free": "Plan gratuito",
        },
    },
    "fr": {
        "title": "Centre d'aide imageko",
        "search": "Rechercher dans le centre d'aide",
        "go": "Rechercher",
        "contact": "Nous contacter",
        "results": "Résultats pour",
        "none": "Aucun article ne correspond.",
        "email": "E-mail",
        "chat": "Chat en direct",
        "days": "du lundi au vendredi",
        "times": "Délais de réponse",
        "case": "Cas",
        "first": "Première réponse",
        "plan": "Plan de résolution",
        "bdays": "jours ouvrés",
        "cases": {
            "urgent": "Fraude, compte piraté, faille de sécurité",
            "complaint": "Réclamation",
            "premium": "Offres premium et entreprise",
            "free": "Offre gratuite",
        },
    },
}

router = APIRouter(tags=["help centre"])


@cache
def _articles() -> dict[tuple[str, str], Article]:
    return {(a.lang, a.id): a for a in load_articles(ARTICLES_DIR)}


def _lang(lang: str) -> str:
    if lang not in SUPPORTED:
        raise NotFound(f"the help centre is in {', '.join(sorted(SUPPORTED))}", code="no_such_lang")
    return lang


def _body(article: Article) -> str:
    parts = []
    for section in article.sections:
        if section.heading:
            parts.append(f"## {section.heading}\n")
        parts.append(section.text)
    return to_html("\n\n".join(parts))


@router.get("/help", include_in_schema=False)
async def help_root() -> RedirectResponse:
    """The English help centre."""
    return RedirectResponse("/help/en/")


@router.get("/help/{lang}/", response_class=HTMLResponse)
async def index(request: Request, lang: str) -> HTMLResponse:
    """Every article of the language, by topic."""
    lang = _lang(lang)
    mine = sorted(
        (a for (code, _), a in _articles().items() if code == lang),
        key=lambda a: (a.topic, a.title),
    )
    return TEMPLATES.TemplateResponse(
        request, "index.html", {"lang": lang, "ui": UI[lang], "articles": mine}
    )


@router.get("/help/{lang}/search", response_class=HTMLResponse)
async def search(
    request: Request, lang: str, q: Annotated[str, Query(max_length=300)] = ""
) -> HTMLResponse:
    """The same retriever the bot answers with."""
    lang = _lang(lang)
    hits = []
    if q.strip():
        ranking = await asyncio.to_thread(kb.retriever().search, q, lang, 5)
        hits = ranking.hits
    return TEMPLATES.TemplateResponse(
        request, "search.html", {"lang": lang, "ui": UI[lang], "q": q, "hits": hits}
    )


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
    return TEMPLATES.TemplateResponse(
        request,
        "contact.html",
        {"lang": lang, "ui": UI[lang], "queues": policy.QUEUES, "hours": hours, "rules": rules},
    )


@router.get("/help/{lang}/{article_id}", response_class=HTMLResponse)
async def article(request: Request, lang: str, article_id: str) -> HTMLResponse:
    """One article."""
    lang = _lang(lang)
    found = _articles().get((lang, article_id))
    if found is None:
        raise NotFound(f"no article {article_id!r} in {lang}", code="no_such_article")
    return TEMPLATES.TemplateResponse(
        request,
        "article.html",
        {"lang": lang, "ui": UI[lang], "article": found, "body": _body(found)},
    )
