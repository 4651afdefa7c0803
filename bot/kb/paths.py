"""Where the help centre, its built index and the retriever's config live."""

from __future__ import annotations

from bot.settings import PROJECT_ROOT

KB_ROOT = PROJECT_ROOT / "kb_index"
ARTICLES_DIR = KB_ROOT / "articles"
INDEX_DIR = KB_ROOT / "index"
EVAL_DIR = KB_ROOT / "eval"
CONFIG_PATH = KB_ROOT / "retriever.yml"
