"""The gateway's endpoints for machines: the token guards them, never the caller's address."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.gateway.internal import trusted
from bot.gateway.settings import GatewaySettings

TOKEN = "deliver-token"


@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "203.0.113.9"])
def test_internal_endpoints_trust_no_address_only_the_token(ip: str) -> None:
    """Behind a reverse proxy on the same host every internet request comes from loopback."""
    closed = GatewaySettings.from_env({"WAYFINDER_PSEUDONYM_KEY": "p" * 40})
    assert closed.deliver_token is None
    assert not trusted(SimpleNamespace(ip=ip, headers={}), closed)  # type: ignore[arg-type]
    opened = GatewaySettings.from_env(
        {"WAYFINDER_PSEUDONYM_KEY": "p" * 40, "WAYFINDER_GATEWAY_TOKEN": TOKEN}
    )
    right = SimpleNamespace(ip=ip, headers={"Authorization": f"Bearer {TOKEN}"})
    wrong = SimpleNamespace(ip=ip, headers={"Authorization": "Bearer nope"})
    assert trusted(right, opened)  # type: ignore[arg-type]
    assert not trusted(wrong, opened)  # type: ignore[arg-type]
