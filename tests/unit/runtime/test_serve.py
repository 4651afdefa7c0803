"""What `python -m bot hub` checks before it serves, and what it tells uvicorn."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.runtime.serve import refusals, trusted_proxies, uvicorn_options
from bot.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_hub_with_a_key_and_no_demo_data_may_start() -> None:
    assert refusals(_settings(secret_key=SecretStr("k" * 64))) == []
    reasons = refusals(_settings(demo_data=True))
    assert [r.split(" ")[0] for r in reasons] == ["DEMO_DATA", "SECRET_KEY"]


def test_without_trusted_proxies_uvicorn_reads_no_forwarded_header() -> None:
    options = uvicorn_options(_settings())
    assert options["proxy_headers"] is False
    assert options["forwarded_allow_ips"] == []  # explicit: FORWARDED_ALLOW_IPS is not read


def test_trusted_proxies_are_addresses_or_networks_only() -> None:
    options = uvicorn_options(_settings(trusted_proxies=" 10.0.0.5, 10.1.0.0/16 ,::1"))
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.5", "10.1.0.0/16", "::1"]
    for wrong in ("*", "10.0.0.300", "proxy.internal"):
        with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
            trusted_proxies(wrong)
