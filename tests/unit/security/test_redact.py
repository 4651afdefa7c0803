"""Secrets never reach what the desk keeps, and nothing else is lost: the corpus both ways."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.security.redact import CODE, PASSWORD, SECRET, redact, redact_data

CORPUS: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "redaction_corpus.yml").read_text()
)


def test_the_corpus_is_large_enough_in_every_language() -> None:
    redacted = Counter(case["lang"] for case in CORPUS["must_redact"])
    kept = Counter(case["lang"] for case in CORPUS["must_keep"])
    assert sum(redacted.values()) >= 30
    assert sum(kept.values()) >= 30
    assert set(redacted) == set(kept) == {"en", "es", "fr"}
    assert min(redacted.values()) >= 8
    assert min(kept.values()) >= 8


@pytest.mark.parametrize(
    ("text", "expected", "secret"),
    [(case["text"], case["redacted"], case["secret"]) for case in CORPUS["must_redact"]],
)
def test_secrets_are_masked_and_the_rest_kept(text: str, expected: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert redacted == expected
    assert redact(redacted) == redacted  # twice is once: stored events are redacted again


@pytest.mark.parametrize("text", [case["text"] for case in CORPUS["must_keep"]])
def test_what_is_not_a_secret_stays(text: str) -> None:
    assert redact(text) == text


def test_when_a_code_is_expected_any_short_number_is_one() -> None:
    assert redact("order 123456") == "order 123456"
    assert redact("order 123456", code_expected=True) == f"order {CODE}"
    assert redact("it is 4821 I think", code_expected=True) == f"it is {CODE} I think"
    assert redact("GEN-502", code_expected=True) == "GEN-502"


def test_nested_data_is_redacted_keys_values_and_secret_fields() -> None:
    data = {
        "note": "card 4242 4242 4242 4242",
        "items": [{"password": "hunter2"}, ("the code is 123456", 3)],
        "access_token": "opaque",
        "4111111111111111": True,
        "count": 4242424242424242,
        "api_key": None,
    }
    assert redact_data(data) == {
        "note": "card [card number]",
        "items": [{"password": PASSWORD}, [f"the code is {CODE}", 3]],
        "access_token": SECRET,
        "[card number]": True,
        "count": 4242424242424242,  # numbers are not text a person typed
        "api_key": None,
    }
