"""Imports run one way (ARCHITECTURE.md, "Which way imports run"): each room of the code may
import only the rooms listed for it below, and no two files import each other, even through
others. A new room must say here what it may import, or this test fails."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "channels", "actions", "bench", "rasa_addons", "rasa_sdk_plugins")

# What each room may import besides itself, from the ground floor up. A room is a package of
# `bot/` or `channels/`, a top-level module of `bot/`, or a top-level package.
GROUND: frozenset[str] = frozenset()
MESSAGES = frozenset({"channels.base"})  # the one conversation model every layer speaks
ALLOWED: dict[str, frozenset[str]] = {
    # ground floor: import nothing else of the project
    "bot.settings": GROUND,
    "bot.errors": GROUND,
    "bot.language": GROUND,
    "bot.security": frozenset({"bot.errors"}),  # its rate limiter answers 429 / 503
    "channels.base": GROUND,
    # runs inside Rasa's own Python 3.10: only the pure, standard-library redaction of the hub
    "rasa_addons": frozenset({"bot.security"}),
    # channel adapters: translate and verify, never reach into the hub
    "channels.email": MESSAGES,
    "channels.meta": MESSAGES,
    "channels.slack": MESSAGES,
    "channels.telegram": MESSAGES,
    "channels.twitter": MESSAGES,
    "channels.webchat": MESSAGES,
    # policy, knowledge and storage
    "bot.triage": frozenset({"bot.language"}),
    "bot.kb": frozenset({"bot.language", "bot.settings", "bot.triage"}),
    "bot.db": frozenset({"bot.settings"}),
    "bot.staff": frozenset({"bot.db", "bot.errors", "bot.triage"}),
    "bot.rasa": MESSAGES | {"bot.errors", "bot.security"},
    "bot.tickets": MESSAGES
    | {"bot.db", "bot.errors", "bot.language", "bot.security", "bot.triage"},
    # Slack is also the team's own notice board: the hand-off notices post through its adapter.
    "bot.notify": MESSAGES | {"bot.settings", "bot.tickets", "channels.slack"},
    "bot.verification": frozenset({"bot.db", "bot.notify", "bot.settings", "bot.triage"}),
    # exports and erasures of a customer's data, audited in the staff's audit log
    "bot.privacy": frozenset(
        {"bot.db", "bot.errors", "bot.notify", "bot.settings", "bot.staff", "bot.triage"}
    ),
    # the message path, and the surfaces on it
    "bot.conversations": MESSAGES
    | {
        "bot.db",
        "bot.errors",
        "bot.kb",
        "bot.language",
        "bot.rasa",
        "bot.security",
        "bot.settings",
        "bot.tickets",
        "bot.triage",
        # e-mail has no adapter contract: its hub side reads the channel's parser and composer
        "channels.email",
    },
    "bot.console": frozenset(
        {"bot.errors", "bot.language", "bot.staff", "bot.tickets", "bot.triage"}
    ),
    # the help centre renders articles with the channels' one Markdown renderer
    "bot.web": MESSAGES | {"bot.errors", "bot.kb", "bot.language", "bot.triage"},
    "actions": frozenset(
        {
            "bot.conversations",
            "bot.errors",
            "bot.kb",
            "bot.language",
            "bot.privacy",
            "bot.settings",
            "bot.triage",
            "bot.verification",
        }
    ),
    # the composition root: the only room that knows every channel and wires it to the hub
    "bot.http": frozenset(
        {
            "bot.console",
            "bot.conversations",
            "bot.db",
            "bot.errors",
            "bot.kb",
            "bot.language",
            "bot.notify",
            "bot.privacy",
            "bot.rasa",
            "bot.security",
            "bot.settings",
            "bot.staff",
            "bot.tickets",
            "bot.triage",
            "bot.verification",
            "bot.web",
            "channels.base",
            "channels.email",
            "channels.meta",
            "channels.slack",
            "channels.telegram",
            "channels.webchat",
            "channels.twitter",
        }
    ),
    # starting processes: the app only by name (uvicorn's "bot.http.app:create_app")
    "bot.runtime": frozenset(
        {"bot.db", "bot.errors", "bot.privacy", "bot.rasa", "bot.settings", "bot.staff"}
    ),
    "bot.__main__": frozenset({"bot.runtime"}),
    # rasa_sdk's own action server, run alone: the hub's check of the action secret
    "rasa_sdk_plugins": frozenset({"bot.security", "bot.settings"}),
    # measuring: may use anything, nothing uses it
    "bench": frozenset(
        {
            "bot.conversations",
            "bot.db",
            "bot.http",
            "bot.kb",
            "bot.language",
            "bot.runtime",
            "bot.settings",
            "bot.triage",
            "channels.base",
        }
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for name in PACKAGES for p in sorted((ROOT / name).rglob("*.py"))}


def room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in ("bot", "channels") and len(parts) > 1 else parts[0]


def imported(path: Path, known: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """(line, module) of every import of the project's own modules, deferred ones included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from bot.tickets import acks` imports the module bot.tickets.acks
                target = f"{node.module}.{alias.name}"
                target = target if target in known else node.module
                if target in known:
                    yield node.lineno, target


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        edges[name] |= {target for _, target in imported(path, known) if target != name}
    return edges


def test_every_room_has_a_rule() -> None:
    # bot/__init__.py and channels/__init__.py hold only their docstrings
    rooms = {room(name) for name in modules()} - {"bot", "channels"}
    assert rooms - set(ALLOWED) == set(), "a new room must say what it may import"
    assert set(ALLOWED) - rooms == set(), "a rule for a room that no longer exists"


def test_rooms_import_only_what_their_rule_allows() -> None:
    known = modules()
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {target} ({room(name)} -> {room(target)})"
        for name, path in known.items()
        for line, target in imported(path, known)
        if room(target) != room(name) and room(target) not in ALLOWED.get(room(name), GROUND)
    ]
    assert wrong == []


def test_the_rules_themselves_run_one_way() -> None:
    def reaches(start: str, seen: set[str]) -> set[str]:
        for nxt in ALLOWED[start] - seen:
            seen.add(nxt)
            reaches(nxt, seen)
        return seen

    assert [name for name in ALLOWED if name in reaches(name, set())] == []


def test_no_file_imports_itself_through_others() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("target", ["channels.telegram.adapter", "bot.conversations.router"])
def test_a_wrong_way_import_is_caught(tmp_path: Path, target: str) -> None:
    # The check itself can fail: a ticket module importing a channel or the router is refused.
    source = tmp_path / "probe.py"
    source.write_text(f"from {target} import x\n", encoding="utf-8")
    found = [t for _, t in imported(source, modules())]
    assert found == [target]
    assert room(target) not in ALLOWED["bot.tickets"]
