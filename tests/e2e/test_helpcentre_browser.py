"""The help centre in real Chromium (Playwright driving Debian's chromium), at a desktop's and a
phone's width, against the hub served by uvicorn on loopback (SQLite, the real Redis, the
published knowledge-base index; no Rasa: the help centre does not need it). Screenshots land
in var/artifacts/ for people to look at."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from redis import Redis

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.http.app import create_app
from bot.runtime.launcher import free_port
from bot.settings import Settings
from tests.conftest import ACTION_SECRET, REDIS_URL
from tests.e2e.conftest import browser, shot

__all__ = ["browser"]
pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 20_000  # the first search loads the embedding model
# Records every Content-Security-Policy violation of the page.
CSP_WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The hub's URL and its SQLite file, served from a thread for the module's tests."""
    folder = tmp_path_factory.mktemp("help-hub")
    database = folder / "desk.db"
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{database}",
        redis_url=REDIS_URL,
        rasa_url="http://127.0.0.1:9",
        var_dir=folder / "var",
        action_secret=ACTION_SECRET,
    )

    async def migrate() -> None:
        engine = create_engine(settings.effective_database_url)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", database
    server.should_exit = True
    thread.join(timeout=20)
    Redis.from_url(REDIS_URL).flushdb()  # its rate-limit counters, as the `redis` fixture does


def _page(browser: Browser, viewport: dict[str, int]) -> Page:
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    page.add_init_script(CSP_WATCH)
    return page


def _fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_reader_browses_reads_votes_and_switches_language(
    hub: tuple[str, Path], browser: Browser
) -> None:
    url, database = hub
    page = _page(browser, DESKTOP)
    page.goto(f"{url}/help/en/")
    expect(page.get_by_role("heading", level=1)).to_have_text("imageko help centre")
    cards = page.locator("li.card")
    expect(cards).to_have_count(5)
    expect(cards.nth(1)).to_contain_text("Plans and billing")
    expect(cards.nth(1)).to_contain_text("13 articles")
    shot(page, "help-desktop-home")

    page.get_by_role("link", name="Plans and billing").click()
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs).to_have_text("Help centre Plans and billing", use_inner_text=True)
    expect(page.get_by_role("heading", level=2, name="Cancelling and refunds")).to_be_visible()
    shot(page, "help-desktop-category")

    page.get_by_role("link", name="Refund policy and how to ask for a refund").click()
    expect(page).to_have_url(f"{url}/help/en/refund-policy")
    expect(crumbs.get_by_role("link")).to_have_text(
        ["Help centre", "Plans and billing", "Cancelling and refunds"]
    )
    related = page.get_by_role("complementary", name="Related articles")
    expect(related.get_by_role("link").first).to_have_text("Cancelling your Premium subscription")
    shot(page, "help-desktop-article")

    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("status").filter(has_text="Thanks")).to_have_text(
        "Thanks for your feedback."
    )
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT lang, article_id, helpful FROM help_votes").fetchall() == [
            ("en", "refund-policy", 1)
        ]

    page.get_by_role("navigation", name="Language").get_by_role("link", name="ES").click()
    expect(page).to_have_url(f"{url}/help/es/refund-policy")
    expect(page.get_by_role("heading", level=1)).to_contain_text("reembolso")
    assert page.evaluate("window.__csp") == []


def test_results_appear_as_you_type_and_without_script(
    hub: tuple[str, Path], browser: Browser
) -> None:
    url, _ = hub
    page = _page(browser, DESKTOP)
    page.goto(f"{url}/help/en/categories/images")
    box = page.get_by_role("searchbox", name="Search the help centre")
    box.press_sequentially("my print is blurry", delay=40)
    suggestions = page.get_by_role("listbox", name="Search the help centre")
    expect(suggestions).to_be_visible(timeout=WAIT_MS)
    expect(box).to_have_attribute("aria-controls", "q-suggestions")
    options = suggestions.get_by_role("option")
    expect(options.first).to_contain_text("full resolution")
    expect(page.locator("#q-status")).to_contain_text("articles")  # said to screen readers
    shot(page, "help-desktop-typing")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(f"{url}/help/en/download-hires")

    page.goto(f"{url}/help/fr/")
    page.get_by_role("searchbox", name="Rechercher dans le centre d'aide").fill("remboursement")
    page.get_by_role("button", name="Rechercher").click()  # the plain form: results page
    expect(page).to_have_url(f"{url}/help/fr/search?q=remboursement")
    expect(page.locator("ol.results li").first).to_contain_text("rembours")
    shot(page, "help-desktop-search")
    assert page.evaluate("window.__csp") == []


def test_on_a_phone_everything_fits_and_related_articles_follow_the_article(
    hub: tuple[str, Path], browser: Browser
) -> None:
    url, _ = hub
    page = _page(browser, PHONE)
    page.goto(f"{url}/help/en/")
    expect(page.locator("li.card")).to_have_count(5)
    assert _fits_the_width(page)
    shot(page, "help-phone-home")

    page.goto(f"{url}/help/en/categories/account")
    assert _fits_the_width(page)
    shot(page, "help-phone-category")

    page.goto(f"{url}/help/en/error-codes")
    assert _fits_the_width(page)
    article = page.locator("article.article").bounding_box()
    related = page.get_by_role("complementary", name="Related articles").bounding_box()
    assert article is not None
    assert related is not None
    assert related["y"] >= article["y"] + article["height"]  # one column: under, not beside
    shot(page, "help-phone-article")

    box = page.get_by_role("searchbox", name="Search the help centre")
    box.press_sequentially("forgot password", delay=40)
    expect(page.get_by_role("listbox").get_by_role("option").first).to_contain_text(
        "password", timeout=WAIT_MS
    )
    assert _fits_the_width(page)
    shot(page, "help-phone-typing")
