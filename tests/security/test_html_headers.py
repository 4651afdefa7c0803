"""Issue 16, item 11 (help centre and widget pages): every HTML page carries a CSP without
'unsafe-inline', frame-ancestors, nosniff and a referrer policy; HSTS when the desk is served
over TLS. On main the help centre sent none of them. The console keeps its own headers."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI

from bot.http.app import create_app
from bot.settings import Settings

PAGES = [
    "/help/en/",
    "/help/es/",
    "/help/fr/contact",
    "/help/en/download-hires",
    "/help/fr/search?q=",
    "/help/en/search?q=<script>alert(1)</script>",
]


class _Inline(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts and styles,
    style attributes, event-handler attributes and javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self._script_without_src = True
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")

    def handle_data(self, data: str) -> None:
        if self._script_without_src and data.strip():
            self.found.append("inline <script>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_without_src = False


def _directives(csp: str) -> dict[str, str]:
    parts = (directive.strip().split(" ", 1) for directive in csp.split(";") if directive.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


@pytest.mark.parametrize("path", PAGES)
async def test_help_centre_pages_carry_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = _directives(response.headers["content-security-policy"])
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'self'"  # the desk's own pages may frame it, no one else
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain http here


@pytest.mark.parametrize("path", PAGES)
async def test_help_centre_pages_need_nothing_inline(client: httpx.AsyncClient, path: str) -> None:
    """What the CSP would block must not be there: the pages work under it."""
    parser = _Inline()
    parser.feed((await client.get(path)).text)
    assert parser.found == []


async def test_hsts_when_the_desk_is_served_over_tls(settings: Settings, app: FastAPI) -> None:
    tls = create_app(settings.model_copy(update={"public_url": "https://help.imageko.com"}))
    transport = httpx.ASGITransport(app=tls)
    async with (
        tls.router.lifespan_context(tls),
        httpx.AsyncClient(transport=transport, base_url="https://hub.test") as client,
    ):
        page = await client.get("/help/en/")
        api = await client.get("/healthz")
    assert page.headers["strict-transport-security"].startswith("max-age=")
    assert int(page.headers["strict-transport-security"].split("=")[1]) >= 180 * 86400
    assert "strict-transport-security" in api.headers  # every response over TLS


async def test_the_console_keeps_its_own_stricter_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/login")
    assert page.status_code == 200
    assert _directives(page.headers["content-security-policy"])["frame-ancestors"] == "'none'"


async def test_json_is_not_given_a_page_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/desk/status")
    assert "content-security-policy" not in response.headers


async def test_the_api_docs_may_load_swagger_but_not_be_framed(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert _directives(docs.headers["content-security-policy"])["frame-ancestors"] == "'none'"
    assert docs.headers["x-content-type-options"] == "nosniff"
