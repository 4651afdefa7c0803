"""How a hub is served: what it refuses to start without, and the options uvicorn gets.

Every hub passes the same checks, the one `make run` starts included: no demo users (their
password is printed on a terminal) and an explicit SECRET_KEY (every hub must verify what the
others signed, before and after a restart). `make run` passes them honestly — it seeds the demo
data itself before the hub starts and hands the hub its per-install key — so no flag exists
that would let a production hub skip them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from bot.settings import Settings


def refusals(settings: Settings) -> list[str]:
    """Why this hub must not start (empty: it may)."""
    reasons = []
    if settings.demo_data:
        reasons.append(
            "DEMO_DATA is on: demo users with a shared password belong to `make run` only; "
            "unset DEMO_DATA (or set DEMO_DATA=false) to serve the hub"
        )
    if settings.secret_key is None or not settings.secret_key.get_secret_value():
        reasons.append(
            "SECRET_KEY is not set: give every hub the same long random value, e.g. from "
            '`python -c "import secrets; print(secrets.token_hex(32))"`'
        )
    try:
        trusted_proxies(settings.trusted_proxies)
    except ValueError as exc:
        reasons.append(str(exc))
    return reasons


def trusted_proxies(value: str) -> list[str]:
    """The TRUSTED_PROXIES addresses and networks, checked (a typo must not trust everyone)."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES: {entry!r} is not an address or network "
                "(list your proxies, e.g. 10.0.0.5,10.1.0.0/16; '*' is not accepted)"
            ) from None
    return entries


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `uvicorn.run`/`uvicorn.Config` for the hub.

    uvicorn believes `X-Forwarded-For` from 127.0.0.1 unless told otherwise, so anyone on the
    host — or any proxy that passes the header along — could choose the address that sign-in
    throttling and the audit log see. The header is read only when TRUSTED_PROXIES names the
    proxies, and only from them; the list is passed explicitly so uvicorn's own
    FORWARDED_ALLOW_IPS variable cannot widen it.
    """
    proxies = trusted_proxies(settings.trusted_proxies)
    return {
        "host": settings.hub_host,
        "port": settings.hub_port,
        "log_level": settings.log_level,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies,
        "timeout_graceful_shutdown": 5,  # open console feeds must not hold a stop forever
    }
