"""`GET /privacy/exports/{token}`: the mailed link of a data export, through the real app."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bot.db import session_factory
from bot.db.models import Customer, utcnow
from bot.notify.mail import Mailer
from bot.privacy.requests import PrivacyRequests
from bot.runtime.demo import seed_demo
from bot.settings import Settings
from bot.staff.audit import AuditLog
from tests.conftest import SmtpSink

ANA = "acc-1001"


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    settings.smtp_port = smtp_sink.port
    settings.public_url = "https://desk.example"
    return settings


async def _ana(app: FastAPI) -> int:
    sessions = session_factory(app.state.engine)
    await seed_demo(sessions)
    async with sessions() as session:
        found = await session.scalar(select(Customer.id).where(Customer.account_id == ANA))
    assert found is not None
    return found


def _link(sink: SmtpSink) -> str:
    found = re.search(
        r"https://desk\.example(/privacy/exports/\S+)", sink.messages[-1].get_content()
    )
    assert found is not None
    return found.group(1)


async def test_the_link_serves_the_zip_as_an_uncached_download_until_it_expires(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    await app.state.privacy.export_by_email(await _ana(app), "customer")
    link = _link(smtp_sink)
    for _ in range(2):  # not once only: a mail scanner may have fetched it first
        response = await client.get(link)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["cache-control"] == "no-store"
        with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
            document = json.loads(bundle.read("imageko-support-data.json"))
        assert document["customer"]["account_id"] == ANA
    (line, _) = await AuditLog(session_factory(app.state.engine)).recent(
        action="privacy_export_downloaded"
    )
    assert line.address == "127.0.0.1"


async def test_unknown_expired_and_malformed_links_get_the_same_404(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink, settings: Settings
) -> None:
    sessions = session_factory(app.state.engine)
    mailer = Mailer("127.0.0.1", smtp_sink.port, "support@imageko.com")
    two_days_ago = PrivacyRequests(
        sessions,
        mailer.send,
        AuditLog(sessions),
        var_dir=settings.var_dir,
        public_url=settings.public_url,
        key=b"k",
        export_ttl=timedelta(hours=48),
        clock=lambda: utcnow() - timedelta(hours=48, seconds=1),
    )
    await two_days_ago.export_by_email(await _ana(app), "customer")
    expired = await client.get(_link(smtp_sink))
    unknown = await client.get("/privacy/exports/" + "A" * 43)
    odd = await client.get("/privacy/exports/..%2F..%2Fimageko.db")
    assert [expired.status_code, unknown.status_code, odd.status_code] == [404, 404, 404]
    assert expired.json() == unknown.json() == odd.json()
    assert "zip" not in expired.headers["content-type"]
    assert list((settings.var_dir / "privacy").iterdir()) == []  # expired: deleted on the try
