"""Run the conversation scenarios against ONE real desk (hub + Rasa, started as `make run` does)
and write a report: `python -m tests.conversations.run --out DIR` (or `make eval-conversations`).

Each scenario is a fresh REST conversation. Verification codes are caught by a loopback SMTP
sink; each scenario gets its own customer (so the per-address mail and try limits of one
scenario never spill into another), and the 10 minutes of a code are made to pass by moving its
expiry in the desk's database, the one thing a client cannot wait for."""

from __future__ import annotations

import argparse
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiosmtpd.controller import Controller
from tqdm import tqdm

from bot.runtime.launcher import free_port
from bot.security.identity import sign
from bot.settings import PROJECT_ROOT
from tests.conftest import SmtpSink
from tests.conversations import harness, report
from tests.e2e.desk import SECRET_KEY, RunningDesk, running_desk

SCENARIOS = Path(__file__).parent / "scenarios"
CODE = re.compile(r"\b(\d{6})\b")
MAIL_WAIT_S = 15
TURN_TIMEOUT_S = 60


class MissingCode(RuntimeError):
    """A turn needs the mailed code and none came: the scenario cannot go on."""


@dataclass
class TurnResult:
    say: str
    observed: dict[str, Any]
    failures: list[str]


@dataclass
class ScenarioResult:
    id: str
    lang: str
    topic: str
    split: str
    policy: str
    status: str  # passed, failed, skipped (needs other business hours), error
    turns: list[TurnResult] = field(default_factory=list)
    final_failures: list[str] = field(default_factory=list)
    error: str = ""


class Conversation:
    """One scenario's conversation: its token, its customer, the codes mailed to it."""

    def __init__(self, desk: RunningDesk, mail: SmtpSink, scenario: harness.Scenario) -> None:
        self.desk, self.mail, self.scenario = desk, mail, scenario
        self.email = f"{scenario.id}@conversations.example.com"
        self.customer = _add_customer(desk, scenario.id, self.email, scenario.plan or "free")
        created = httpx.post(f"{desk.url}/api/v1/conversations", timeout=10)
        created.raise_for_status()
        body = created.json()
        self.url = f"{desk.url}/api/v1/conversations/{body['conversation_id']}/messages"
        self.headers = {"Authorization": f"Bearer {body['token']}"}
        self.ticket: str | None = None
        self.codes_seen = 0
        self.code = ""
        self.buttons: list[str] = []
        self.sent = ""  # the last message as sent, placeholders filled

    def _metadata(self) -> dict[str, Any]:
        if self.scenario.plan is None:
            return {}
        claims = {"account_id": self.scenario.id, "plan": self.scenario.plan}
        return {"identity": sign({**claims, "exp": time.time() + 600}, SECRET_KEY.encode())}

    def _fill(self, text: str) -> str:
        wrong = "000000" if self.code != "000000" else "111111"
        first = self.buttons[0] if self.buttons else ""
        return text.format(email=self.email, code=self.code, wrong_code=wrong, button1=first)

    def _codes(self) -> list[str]:
        found = []
        for message in [m for m in self.mail.messages if m["To"] == self.email]:
            body = message.get_body(("plain",))
            match = CODE.search(body.get_content() if body is not None else "")
            if match:
                found.append(match.group(1))
        return found

    def _wait_for_code(self, wait_s: float) -> bool:
        deadline = time.monotonic() + wait_s
        while True:
            codes = self._codes()
            if len(codes) > self.codes_seen:
                self.codes_seen, self.code = len(codes), codes[-1]
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def turn(self, turn: harness.Turn, known: list[harness.Template]) -> harness.Observed:
        if turn.expire_code:
            _expire_codes(self.desk, self.customer)
        if "{code}" in turn.say and not self.code and not self._wait_for_code(MAIL_WAIT_S):
            raise MissingCode(f"no code was mailed to {self.email} to say in {turn.say!r}")
        self.sent = self._fill(turn.say)
        sent = {"text": self.sent, "metadata": self._metadata()}
        response = httpx.post(self.url, json=sent, headers=self.headers, timeout=TURN_TIMEOUT_S)
        response.raise_for_status()
        body = response.json()
        replies = body["replies"]
        texts = [str(r["text"]) for r in replies if r.get("text")]
        new = body["ticket"] is not None and body["ticket"] != self.ticket
        self.ticket = body["ticket"]
        self.buttons = [str(b["payload"]) for r in replies for b in r.get("buttons") or []]
        observed = harness.Observed(
            lang=body["lang"],
            texts=texts,
            shown=[str(r["html"]) for r in replies if r.get("html")],
            buttons=self.buttons,
            said=harness.recognise(texts, known),
            ticket=self.ticket,
            new_ticket=new,
            ticket_fields=self._ticket_fields(),
            # Only wait for mail when the scenario says one matters (most turns send none).
            mailed_code=self._wait_for_code(MAIL_WAIT_S if turn.expect.mailed_code else 0.5),
        )
        return observed

    def _ticket_fields(self) -> dict[str, Any]:
        if self.ticket is None:
            return {}
        url = f"{self.desk.url}/api/v1/tickets/{self.ticket}"
        got = httpx.get(url, headers=self.desk.agent("lea"), timeout=10)
        fields: dict[str, Any] = got.json()["ticket"]
        due, created = (datetime.fromisoformat(fields[k]) for k in ("due_at", "created_at"))
        return {**fields, "due_hours": (due - created).total_seconds() / 3600}


def _database(desk: RunningDesk) -> Path:
    return Path(desk.env["DATABASE_URL"].removeprefix("sqlite:///"))


def _add_customer(desk: RunningDesk, account_id: str, email: str, plan: str) -> int:
    """A customer of its own for the scenario, as the demo data would add one."""
    with sqlite3.connect(_database(desk), timeout=30) as db:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        cursor = db.execute(
            "INSERT INTO customers (account_id, email, name, plan, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (account_id, email, account_id, plan, now),
        )
        return int(cursor.lastrowid or 0)


def _expire_codes(desk: RunningDesk, customer: int) -> None:
    """Make the customer's codes as old as policy CODE_TTL: they expire when created."""
    with sqlite3.connect(_database(desk), timeout=30) as db:
        db.execute(
            "UPDATE verifications SET expires_at = created_at WHERE subject = ?",
            (f"customer:{customer}",),
        )


def desk_is_open(desk: RunningDesk) -> bool:
    """Business hours now, as the widget's banner sees them."""
    return bool(httpx.get(f"{desk.url}/api/v1/desk/status", timeout=10).json()["business_hours"])


def warm_up(desk: RunningDesk) -> None:
    """One unscored help-centre question first: the first search loads the embedding model,
    which would otherwise land on (and time out) whichever scenario happens to come first."""
    created = httpx.post(f"{desk.url}/api/v1/conversations", timeout=10).json()
    url = f"{desk.url}/api/v1/conversations/{created['conversation_id']}/messages"
    headers = {"Authorization": f"Bearer {created['token']}"}
    for text in ("How do I download my images in full resolution?", "hola"):
        httpx.post(url, json={"text": text}, headers=headers, timeout=TURN_TIMEOUT_S)


def run_scenario(
    desk: RunningDesk, mail: SmtpSink, scenario: harness.Scenario, known: list[harness.Template]
) -> ScenarioResult:
    result = ScenarioResult(
        scenario.id, scenario.lang, scenario.topic, scenario.split, scenario.policy, "passed"
    )
    if scenario.when != "any" and (scenario.when == "open") != desk_is_open(desk):
        result.status = "skipped"
        return result
    try:
        conversation = Conversation(desk, mail, scenario)
        observed = None
        for turn in scenario.turns:
            if turn.unless_ticket and conversation.ticket is not None:
                continue
            observed = conversation.turn(turn, known)
            failures = harness.check(turn.expect, observed)
            shown = {**asdict(observed), "kind": observed.kind}
            result.turns.append(TurnResult(conversation.sent, shown, failures))
            if failures:
                result.status = "failed"  # later turns would test a conversation gone astray
                return result
        if scenario.final_ticket is not None and observed is not None:
            result.final_failures = harness.check_final(scenario.final_ticket, observed)
            result.status = "failed" if result.final_failures else "passed"
    except (httpx.HTTPError, KeyError, sqlite3.Error, MissingCode) as error:
        result.status, result.error = "error", f"{type(error).__name__}: {error}"
    return result


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="report directory")
    parser.add_argument(
        "--only", action="append", default=[], help="run only ids containing this (repeat)"
    )
    args = parser.parse_args(argv)
    wanted = args.only or [""]  # "" is in every id
    scenarios = [s for s in harness.load(SCENARIOS) if any(o in s.id for o in wanted)]
    known = harness.templates(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text()))
    results = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        smtp_sink() as mail,
        running_desk(Path(tmp), mail.port, {}) as desk,
    ):
        warm_up(desk)
        for scenario in tqdm(scenarios, desc="conversations", unit="scenario"):
            results.append(run_scenario(desk, mail, scenario, known))
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copy(desk.log, args.out / "desk.log")  # for telling bot faults from harness ones
    summary = report.write(args.out, [asdict(r) for r in results])
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
