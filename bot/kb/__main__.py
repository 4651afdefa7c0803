"""`python -m bot.kb build | calibrate | eval`: the help centre's index and its measurements."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.kb.articles import ArticleError
from bot.kb.paths import ARTICLES_DIR, CONFIG_PATH, EVAL_DIR, INDEX_DIR


def _build(articles: Path, index: Path) -> int:
    from bot.kb.embedder import Embedder
    from bot.kb.index import build_index

    try:
        report = build_index(articles, index, embedder=Embedder)  # batches: every core
    except ArticleError as exc:
        print("kb: the help centre has errors; the previous index keeps serving:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if report.changed:
        print(
            f"kb: built {report.build_id}: {report.chunks} chunks "
            f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
        )
    else:
        print(f"kb: index up to date ({report.build_id}, {report.chunks} chunks)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.kb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the index (only changed articles re-embedded)")
    build.add_argument("--articles", type=Path, default=ARTICLES_DIR)
    build.add_argument("--index", type=Path, default=INDEX_DIR)
    commands.add_parser("calibrate", help="choose weights and thresholds on the validation split")
    evaluate = commands.add_parser("eval", help="recall@1/@3, MRR, rejection, latency")
    evaluate.add_argument("--docs", type=Path, help="docs.jsonl of an outside collection")
    evaluate.add_argument("--queries", type=Path, help="queries.jsonl of an outside collection")
    evaluate.add_argument("--split", default="test", help="split of our own eval data")
    args = parser.parse_args(argv)

    if args.command == "build":
        return _build(args.articles, args.index)
    if args.command == "calibrate":
        from bot.kb.calibrate import calibrate

        return calibrate(INDEX_DIR, EVAL_DIR, CONFIG_PATH)
    from bot.kb.evaluate import run

    if (args.docs is None) != (args.queries is None):
        parser.error("--docs and --queries go together")
    return run(args.docs, args.queries, args.split)


if __name__ == "__main__":
    raise SystemExit(main())
