from __future__ import annotations

import argparse
import socket

import pytest

from bot.runtime.launcher import embedded_redis_binary, free_port, rasa_redis_env, rasa_run_args


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    assert port != 6379


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "redis://127.0.0.1:41234/0",
            {
                "RASA_REDIS_HOST": "127.0.0.1",
                "RASA_REDIS_PORT": "41234",
                "RASA_REDIS_DB": "0",
                "RASA_REDIS_PASSWORD": "",
            },
        ),
        (
            "redis://:s3cret@cache.internal/4",
            {
                "RASA_REDIS_HOST": "cache.internal",
                "RASA_REDIS_PORT": "6379",
                "RASA_REDIS_DB": "4",
                "RASA_REDIS_PASSWORD": "s3cret",
            },
        ),
    ],
)
def test_rasa_gets_the_same_redis_as_the_hub(url: str, expected: dict[str, str]) -> None:
    assert rasa_redis_env(url) == expected


def test_the_embedded_server_binary_is_installed() -> None:
    binary = embedded_redis_binary()
    assert binary.is_file()
    assert binary.stat().st_mode & 0o111


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "plain_Token-123", "--double"])
def test_rasa_gets_its_token_whatever_it_starts_with(token: str) -> None:
    # The options `rasa run` declares for what we pass (argparse, as Rasa parses them).
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("command")
    parser.add_argument("--enable-api", action="store_true")
    parser.add_argument("-t", "--auth-token")
    for option in ("-i", "-p", "--port", "--model", "--endpoints", "--credentials"):
        parser.add_argument(option)

    parsed = parser.parse_args(rasa_run_args(token, 5005))

    assert parsed.auth_token == token
    assert parsed.i == "127.0.0.1"
