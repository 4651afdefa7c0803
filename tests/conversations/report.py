"""The suite's report: pass rates per language and split, and each failure's transcript
(results.json for tools, summary.md for people)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.conversations.harness import SPLITS


def rates(results: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """{lang or "all": {split or "all": {"passed": n, "run": n}}}; skipped ones are not run."""
    table: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"passed": 0, "run": 0})
    )
    for result in results:
        if result["status"] == "skipped":
            continue
        for lang in (result["lang"], "all"):
            for split in (result["split"], "all"):
                cell = table[lang][split]
                cell["run"] += 1
                cell["passed"] += result["status"] == "passed"
    return {lang: dict(splits) for lang, splits in table.items()}


def _cell(cell: dict[str, int] | None) -> str:
    if not cell or not cell["run"]:
        return "–"
    return f"{cell['passed']}/{cell['run']} ({100 * cell['passed'] / cell['run']:.0f}%)"


def table(results: list[dict[str, Any]]) -> str:
    """The pass-rate table in Markdown (also what the runner prints)."""
    found = rates(results)
    lines = [f"| lang | {' | '.join((*SPLITS, 'all'))} |", "|---|---|---|---|"]
    for lang in [*sorted(k for k in found if k != "all"), "all"]:
        cells = [_cell(found.get(lang, {}).get(split)) for split in (*SPLITS, "all")]
        lines.append(f"| {lang} | {' | '.join(cells)} |")
    skipped = [r["id"] for r in results if r["status"] == "skipped"]
    if skipped:
        lines.append(f"\nSkipped (need other business hours): {', '.join(skipped)}")
    return "\n".join(lines)


def _transcript(result: dict[str, Any]) -> list[str]:
    lines = [f"### {result['id']} ({result['lang']}, {result['split']}, {result['status']})", ""]
    lines.append(f"Topic `{result['topic']}`; policy {result['policy']}.")
    if result["error"]:
        lines.append(f"\n**Error:** {result['error']}")
    for turn in result["turns"]:
        observed = turn["observed"]
        lines.append(f"\n- **customer:** {turn['say']}")
        lines += [f"  - bot: {' '.join(text.split())}" for text in observed["texts"]]
        if observed["buttons"]:
            lines.append(f"  - buttons: {', '.join(observed['buttons'])}")
        said = ", ".join(name for name, _ in observed["said"]) or "nothing recognised"
        fields = observed["ticket_fields"]
        ticket = (
            f"{observed['ticket']} {fields.get('topic')}/{fields.get('queue')}/"
            f"tier {fields.get('tier')}/{fields.get('priority')}"
            if observed["ticket"]
            else "none"
        )
        lines.append(
            f"  - seen: kind {observed['kind']}, lang {observed['lang']}, said {said}, "
            f"ticket {ticket}"
        )
        lines += [f"  - **FAIL** {failure}" for failure in turn["failures"]]
    lines += [f"\n- **FAIL** {failure}" for failure in result["final_failures"]]
    return [*lines, ""]


def write(out: Path, results: list[dict[str, Any]]) -> str:
    """results.json and summary.md in `out`; returns the pass-rate table."""
    summary = table(results)
    (out / "results.json").write_text(
        json.dumps({"rates": rates(results), "scenarios": results}, indent=1, ensure_ascii=False)
    )
    failed = [r for r in results if r["status"] in ("failed", "error")]
    lines = ["# Conversation suite", "", summary, "", f"## Failures ({len(failed)})", ""]
    for result in failed:
        lines += _transcript(result)
    (out / "summary.md").write_text("\n".join(lines))
    return summary
