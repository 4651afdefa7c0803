"""'Was this article helpful?': a plain form post records one anonymous vote; another site
cannot make a visitor vote, and nobody votes past the public limit."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from bot.db import session_factory
from bot.db.models import HelpVote
from bot.http.helpvotes import VOTES_PER_ADDRESS

URL = "/help/es/refund-policy/vote"


async def _votes(app: FastAPI) -> list[tuple[str, str, bool]]:
    async with session_factory(app.state.engine)() as session:
        rows = (await session.execute(select(HelpVote))).scalars()
        return [(v.lang, v.article_id, v.helpful) for v in rows]


async def test_a_form_post_records_the_vote_and_goes_back_to_the_article(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    same_site = {"Sec-Fetch-Site": "same-origin", "Origin": "http://hub.test"}
    answer = await client.post(URL, data={"helpful": "no"}, headers=same_site)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/help/es/refund-policy?voted=true#vote"
    await client.post(URL.replace("/es/", "/fr/"), data={"helpful": "yes"})  # no headers: curl
    assert await _votes(app) == [("es", "refund-policy", False), ("fr", "refund-policy", True)]


async def test_another_site_cannot_make_a_visitor_vote(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ):
        answer = await client.post(URL, data={"helpful": "yes"}, headers=headers)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "csrf"), headers
    assert await _votes(app) == []


async def test_only_yes_or_no_about_an_existing_article(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert (await client.post(URL, data={"helpful": "maybe"})).status_code == 422
    assert (await client.post(URL, data={})).status_code == 422
    missing = await client.post("/help/es/no-such-article/vote", data={"helpful": "yes"})
    assert missing.status_code == 404
    assert await _votes(app) == []


async def test_votes_are_rate_limited_per_address(app: FastAPI, client: httpx.AsyncClient) -> None:
    for _ in range(VOTES_PER_ADDRESS):
        assert (await client.post(URL, data={"helpful": "yes"})).status_code == 303
    over = await client.post(URL, data={"helpful": "yes"})
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) > 0
    assert len(await _votes(app)) == VOTES_PER_ADDRESS
