"""The console's pages as a browser receives them: a CSP without inline script, no framing by
other sites, HTTPS pinned (HSTS) when the desk is served over HTTPS, and session cookies that
scripts cannot read and other sites cannot send."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from bot.db import session_factory
from bot.runtime.demo import seed_demo
from bot.settings import Settings

PASSWORD = "correct horse battery"
PAGES = (
    "/console",
    "/console/supervisor",
    "/console/people",
    "/console/people/lea",
    "/console/audit",
    "/console/password",
)


def _cookies(response: httpx.Response) -> dict[str, str]:
    return {
        value.split("=", 1)[0]: value
        for key, value in response.headers.multi_items()
        if key == "set-cookie"
    }


async def _pages(app: FastAPI, scheme: str) -> list[httpx.Response]:
    """The sign-in form, the sign-in answer, and every console page as an admin sees them."""
    await seed_demo(session_factory(app.state.engine), PASSWORD)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://hub.test") as client:
        form = await client.get("/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        signed = await client.post(
            "/console/login",
            data={"username": "admin", "password": PASSWORD, "csrf": csrf.group(1)},
        )
        assert signed.status_code == 303
        return [form, signed, *[await client.get(path) for path in PAGES]]


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:8000", "https://desk.imageko.com"])
async def test_every_console_page_carries_the_headers(
    app: FastAPI, settings: Settings, redis: Redis, public_url: str
) -> None:
    app.state.settings = settings.model_copy(update={"public_url": public_url})
    https = public_url.startswith("https://")
    # A browser sends Secure cookies over HTTPS only: the TLS proxy's side of the hub.
    form, signed, *pages = await _pages(app, "https" if https else "http")
    for page in (form, *pages):
        assert page.status_code == 200, page.url
        csp = page.headers["content-security-policy"]
        directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["script-src"] == ["'self'"]
        assert "unsafe-inline" not in csp
        assert "<script>" not in page.text  # no inline script for the CSP to forbid
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        hsts = page.headers.get("strict-transport-security")
        assert hsts == ("max-age=31536000" if https else None)
    for cookie in (_cookies(form)["imageko_login_csrf"], _cookies(signed)["imageko_console"]):
        flags = {flag.strip().split("=")[0].lower(): flag for flag in cookie.split(";")[1:]}
        assert "httponly" in flags
        assert flags["samesite"].strip().lower() == "samesite=strict"
        assert ("secure" in flags) is https
