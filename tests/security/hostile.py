"""Hypothesis strategies for hostile input: JSON-ish values no platform sends (deep nesting,
huge integers, NaN and Infinity, lone surrogates, control characters), genuine payloads with a
wrong value at any key, and raw bytes.

Some tokens cannot be built as Python values and then dumped (an integer of 5000 digits,
20 000 levels of nesting): `Raw` puts them into the JSON text as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# Characters of every kind, lone surrogates and control characters included.
ANY_CHARACTER = st.characters(exclude_categories=())
NASTY_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.sampled_from(["\ud800", "\udfff", "a\x00b", "\x1b[31m", "\u202egnp.exe", "\ufeff", "\x85"]),
    st.sampled_from(["9" * 300, "T" * 130, "x" * 5000, "1" * 21]),  # ids past any column
    st.text(st.characters(codec="utf-8"), max_size=20),  # valid text, often of other scripts
)


@dataclass(frozen=True)
class Raw:
    """A JSON token written as is into the dumped text."""

    text: str


RAW_TOKENS = st.sampled_from(
    [
        Raw("1" * 5000),  # over Python's 4300-digit limit
        Raw("-" + "9" * 25),  # a 25-digit integer
        Raw("1e400"),  # a float that overflows to infinity
        Raw("NaN"),
        Raw("-Infinity"),
        Raw("[" * 900 + "]" * 900),  # within Python's recursion limit, past any payload's
        Raw("[" * 20_000 + "]" * 20_000),  # past Python's recursion limit
        Raw('{"a":' * 200 + "0" + "}" * 200),
        Raw('"\\ud800"'),  # a lone surrogate, escaped as JSON allows
        Raw('"\\u0000"'),
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    NASTY_TEXT,
    RAW_TOKENS,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(NASTY_TEXT, children, max_size=4),
    ),
    max_leaves=12,
)


def dumps(value: Any) -> bytes:
    """`value` as JSON bytes, `Raw` tokens spliced in, non-ASCII escaped (as Meta sends it)
    or not (as most others do) at random by the caller."""
    raws: list[str] = []

    def placeholder(item: Any) -> Any:
        if isinstance(item, Raw):
            raws.append(item.text)
            return f"@@raw{len(raws) - 1}@@"
        if isinstance(item, dict):
            return {key: placeholder(child) for key, child in item.items()}
        if isinstance(item, list):
            return [placeholder(child) for child in item]
        return item

    text = json.dumps(placeholder(value))
    for index, raw in enumerate(raws):
        text = text.replace(f'"@@raw{index}@@"', raw, 1)
    return text.encode("utf-8", "surrogatepass")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a JSON value, the value itself first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any, *, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replaced(value[head], rest, new, delete=delete)
        return copy
    copy_list = list(value)
    if delete and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replaced(value[head], rest, new, delete=delete)
    return copy_list


# A value of every JSON type, to put where another was expected.
WRONG_TYPES: tuple[Any, ...] = (None, True, 0, -1, 2**63, 1.5, "", "x", [], [[]], {}, {"": {}})
_DELETED = object()


def every_wrong_type(genuine: Any) -> list[Any]:
    """`genuine` with each of its keys, in turn, given a value of each JSON type or removed:
    every key, every type, not a sample."""
    variants = []
    for path in _paths(genuine)[1:]:
        for wrong in (*WRONG_TYPES, _DELETED):
            variants.append(_replaced(genuine, path, wrong, delete=wrong is _DELETED))
    return variants


def _variant(value: Any) -> st.SearchStrategy[Any]:
    """A hostile value for the place of `value`: mostly of its own type (a text with control
    characters, surrogates or 5000 characters; an integer at or past 64 bits), else anything."""
    if isinstance(value, str):
        same: st.SearchStrategy[Any] = NASTY_TEXT
    elif isinstance(value, bool):
        same = st.booleans()
    elif isinstance(value, int):
        same = st.one_of(st.integers(min_value=-(2**64), max_value=2**64), RAW_TOKENS)
    else:
        same = JSON_VALUES
    return st.one_of(same, same, JSON_VALUES)


@st.composite
def mutated(draw: st.DrawFn, genuine: Any, mutations: int = 3) -> Any:
    """`genuine` with up to `mutations` of its values replaced by hostile ones or removed."""
    value = genuine
    for _ in range(draw(st.integers(min_value=1, max_value=mutations))):
        path = draw(st.sampled_from(_paths(value)))
        delete = bool(path) and draw(st.booleans()) and draw(st.booleans())
        current = value
        for key in path:
            current = current[key]
        value = _replaced(value, path, draw(_variant(current)), delete=delete)
    return value


def _genuine(genuine: list[Callable[[int, str], Any]]) -> st.SearchStrategy[Any]:
    return st.tuples(
        st.sampled_from(genuine), st.integers(min_value=1, max_value=10**9), NASTY_TEXT
    ).map(lambda made: made[0](made[1], made[2]))


def mutated_bodies(genuine: list[Callable[[int, str], Any]]) -> st.SearchStrategy[bytes]:
    """Genuine payloads with wrong values at any key, as bytes."""
    return _genuine(genuine).flatmap(mutated).map(dumps)


def bodies(genuine: list[Callable[[int, str], Any]]) -> st.SearchStrategy[bytes]:
    """Webhook bodies around genuine payloads (`genuine` makes delivery number n, in which the
    customer writes a text): genuine ones with a hostile text (stored, or refused whole),
    mutated ones, cut short or with bytes flipped, and bytes of anything."""
    as_bytes = _genuine(genuine).map(dumps)
    return st.one_of(
        as_bytes,
        as_bytes,
        mutated_bodies(genuine),
        mutated_bodies(genuine),
        st.tuples(as_bytes, st.integers(min_value=0, max_value=400)).map(lambda t: t[0][: t[1]]),
        st.tuples(as_bytes, st.binary(min_size=1, max_size=4), st.integers(0, 400)).map(
            lambda t: t[0][: t[2]] + t[1] + t[0][t[2] + len(t[1]) :]
        ),
        st.binary(max_size=200),
        JSON_VALUES.map(dumps),
    )
