"""POST /help/{lang}/{article_id}/vote: the help centre's "Was this article helpful?".

Anonymous, so there is no session to forge; what is refused is another site making a
visitor's browser vote (the Fetch metadata or Origin header must say the form is ours), and
anyone voting more often than the public limit allows."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from bot.console.render import first, form
from bot.db import session_factory
from bot.db.models import HelpVote
from bot.errors import Forbidden, InvalidField
from bot.http.access import client_address, hit
from bot.security.limits import Limit
from bot.settings import Settings
from bot.web.helpcentre import find

ANSWERS = {"yes": True, "no": False}
VOTES_PER_ADDRESS = 30  # per rate window: a reader of many articles, not a script
router = APIRouter(tags=["help centre"])


def same_origin(request: Request) -> bool:
    """Whether the browser says the vote comes from our own page. A client that sends
    neither header is no browser another site could drive."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


@router.post("/help/{lang}/{article_id}/vote", include_in_schema=False)
async def vote(request: Request, lang: str, article_id: str) -> RedirectResponse:
    """Record one yes or no, then back to the article, which thanks the reader."""
    found = find(lang, article_id)
    if not same_origin(request):
        raise Forbidden("votes come from the help centre's own pages", code="csrf")
    settings: Settings = request.app.state.settings
    limit = Limit("vote:addr", VOTES_PER_ADDRESS, settings.rate_window_s, "votes")
    await hit(request, (limit, client_address(request)))
    answer = first(await form(request), "helpful")
    if answer not in ANSWERS:
        raise InvalidField("helpful must be yes or no", code="bad_vote")
    async with session_factory(request.app.state.engine).begin() as session:
        session.add(HelpVote(article_id=found.id, lang=found.lang, helpful=ANSWERS[answer]))
    return RedirectResponse(f"/help/{found.lang}/{found.id}?voted=true#vote", status_code=303)
