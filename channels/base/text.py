"""Long replies cut to a platform's message limit, counted the way that platform counts (pure)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

_ZWJ = "\u200d"
_NEWLINES = ("\n", "\r\n", "\r", "\u2028", "\u2029")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: how Telegram (and JavaScript) count text."""
    return len(text.encode("utf-16-le")) // 2


def _is_regional_indicator(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends(char: str) -> bool:
    """Whether `char` belongs to the character before it (UAX #29 Extend, SpacingMark, ZWJ)."""
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")  # combining marks, variation selectors
        or char == _ZWJ
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # skin tone modifiers
        or "\U000e0020" <= char <= "\U000e007f"  # tag sequences (subdivision flags)
    )


def graphemes(text: str) -> list[str]:
    """`text` as user-perceived characters, so a cut never separates a letter from its accent,
    the parts of an emoji sequence, or the two halves of a flag.

    A compact approximation of UAX #29 extended grapheme clusters: CR LF, combining and
    spacing marks, variation selectors, emoji modifiers and tags, ZWJ sequences and
    regional-indicator pairs. Hangul jamo sequences and prepend marks are not joined.
    """
    clusters: list[str] = []
    flag_open = False  # the last cluster is a lone regional indicator waiting for its pair
    for char in text:
        if clusters:
            last = clusters[-1]
            joins = (
                _extends(char)
                or last[-1] == _ZWJ
                or (last == "\r" and char == "\n")
                or (flag_open and _is_regional_indicator(char))
            )
            if joins:
                clusters[-1] = last + char
                flag_open = False
                continue
        clusters.append(char)
        flag_open = _is_regional_indicator(char)
    return clusters


def _best_cut(clusters: list[str], start: int, end: int) -> int:
    """Where to end a chunk of `clusters[start:end]` (all of which fit): after the last
    paragraph break, else line break, in the second half of the window (an earlier one would
    leave a short message); else after the last space; else at `end`, inside a word."""
    half = start + (end - start) // 2
    for kind, floor in (("paragraph", half), ("line", half), ("space", start)):
        for cut in range(end, floor, -1):
            before = clusters[cut - 1]
            if kind == "paragraph":
                found = before in _NEWLINES and cut - 2 >= start and clusters[cut - 2] in _NEWLINES
            elif kind == "line":
                found = before in _NEWLINES
            else:
                found = before.isspace()
            if found:
                return cut
    return end


def split_text(text: str, limit: int, *, length: Callable[[str], int] = len) -> list[str]:
    """`text` in chunks of at most `limit` as measured by `length`, cut at paragraph, line or
    word boundaries when one is near, and never inside a user-perceived character unless that
    character alone is longer than the limit.

    The whitespace at each cut is dropped: rejoining the chunks gives back the text modulo
    the whitespace at the cuts. Empty text gives no chunks.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if length(text) <= limit:
        return [text] if text else []
    clusters: list[str] = []
    for cluster in graphemes(text):
        # An absurd cluster (thousands of stacked accents) is cut between code points.
        clusters.extend([cluster] if length(cluster) <= limit else list(cluster))
    if any(length(cluster) > limit for cluster in clusters):
        raise ValueError(f"a single character is longer than the limit of {limit}")

    chunks: list[str] = []
    start = 0
    while start < len(clusters):
        end, used = start, 0
        while end < len(clusters) and used + length(clusters[end]) <= limit:
            used += length(clusters[end])
            end += 1
        cut = end if end == len(clusters) else _best_cut(clusters, start, end)
        chunk = "".join(clusters[start:cut])
        if cut < len(clusters):
            chunk = chunk.rstrip()
        if chunk:
            chunks.append(chunk)
        start = cut
        while start < len(clusters) and clusters[start].isspace():
            start += 1
    return chunks
