"""The capacity benchmark's balancer configuration (generated text only: no servers)."""

from __future__ import annotations

import pytest

from benchmarks.capacity_stack import haproxy_config


def section(config: str, header: str) -> list[str]:
    """The lines of one section, up to the next blank line."""
    lines = config.splitlines()
    start = lines.index(header)
    end = lines.index("", start)
    return [line.strip() for line in lines[start + 1 : end]]


def test_each_tier_has_its_own_front_on_localhost_and_every_server_behind_it() -> None:
    config = haproxy_config(7000, 7001, rasa=[8001, 8002], actions=[9001, 9002])
    assert section(config, "frontend rasa_internal") == [
        "bind 127.0.0.1:7000",
        "default_backend rasa",
    ]
    assert section(config, "frontend actions_internal") == [
        "bind 127.0.0.1:7001",
        "default_backend actions",
    ]
    rasa = section(config, "backend rasa")
    assert "server rasa1 127.0.0.1:8001 check" in rasa
    assert "server rasa2 127.0.0.1:8002 check" in rasa
    assert "option httpchk GET /" in rasa
    actions = config.split("backend actions\n", 1)[1].splitlines()
    servers = [line.strip() for line in actions if line.strip().startswith("server ")]
    assert servers == [
        "server actions1 127.0.0.1:9001 check",
        "server actions2 127.0.0.1:9002 check",
    ]
    assert "    balance leastconn" in actions  # as docker/haproxy.cfg: no server gets a queue


def test_a_tier_without_servers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one server"):
        haproxy_config(7000, 7001, rasa=[8001], actions=[])
