"""Parse texts with a trained Rasa model, no server: `python -m rasa_addons.parse MODEL IN OUT`.

IN is JSONL with `id` and `text`; OUT gets `{id, intent, confidence, ranking, entities}` lines.
Used by `make eval-routing`, which then decides with the hub's own code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any


async def parse(model: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The NLU result of each row's text."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    results = []
    for row in rows:
        parsed = await agent.parse_message(str(row["text"]))
        intent = parsed.get("intent") or {}
        results.append(
            {
                "id": row["id"],
                "intent": intent.get("name"),
                "confidence": intent.get("confidence"),
                "ranking": [[i["name"], i["confidence"]] for i in parsed.get("intent_ranking", [])],
                "entities": [
                    {"entity": e["entity"], "value": e["value"]} for e in parsed.get("entities", [])
                ],
            }
        )
    return results


def main(model: Path, cases: Path, out: Path) -> None:
    """Read the cases, parse them, write one line per case."""
    logging.getLogger("rasa").setLevel(logging.ERROR)
    lines = cases.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    results = asyncio.run(parse(model, rows))
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
