"""Security headers on every HTML page the hub serves (help centre, widget host pages), for
those that do not set their own (the console does): a CSP without inline script or style, no
framing by other sites, no sniffing, no referrer leaving the desk; HSTS behind TLS."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts, styles and images only from the desk itself: a customer's text that slipped past
# escaping could not run. The help centre may be framed by the desk's own pages only: nothing
# on it needs embedding elsewhere, and the chat widget in it must not be clickjacked.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
# FastAPI's API docs (/docs, /redoc) load Swagger UI / ReDoc from a CDN with an inline
# bootstrap script: a looser policy for those pages alone, which show no customer content.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HTML_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000"


class SecurityHeaders:
    """ASGI middleware: adds the headers a response lacks (a route's own always win)."""

    def __init__(self, app: ASGIApp, *, https: bool, docs_paths: Iterable[str | None] = ()) -> None:
        self._app = app
        self._https = https
        self._docs = frozenset(path for path in docs_paths if path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in self._docs else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if self._https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", csp)
                    for name, value in HTML_HEADERS.items():
                        headers.setdefault(name, value)
            await send(message)

        await self._app(scope, receive, send_with_headers)
