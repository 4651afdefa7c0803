"""Text helpers every layer may use (ground floor: imports nothing of the project)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase without accents, so "résolution", "resolucion" and "Resolution" meet."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
