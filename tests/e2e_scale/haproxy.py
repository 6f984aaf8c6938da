"""The load balancer on localhost: Debian's HAProxy running the deployment's own configuration
(docker/haproxy.cfg) in its localhost form (LB_LOCAL=1 and each server's address in LB_*
variables), so the scale test checks the very routes, health checks and retry rules a city runs.

What those rules mean for the test: a connection refused (a process just killed) is sent to the
other server of any tier; a request already sent is retried on the other server only for Rasa
and the action servers (a Rasa killed mid-turn saved nothing). A gateway's request is never
retried once sent, so a learner whose gateway dies mid-request sees the connection drop and
decides (tests/e2e_scale/users.py).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from knowledge.settings import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "docker" / "haproxy.cfg"


@dataclass(frozen=True)
class Fronts:
    """The balancer's own ports: the public door (widget, provider API, webhook), the internal
    door to the gateways (/internal/deliver for the workers), Rasa's and the actions'."""

    public: int
    internal: int
    rasa: int
    actions: int


@dataclass(frozen=True)
class Backends:
    """Where each tier's two servers listen (ports on 127.0.0.1)."""

    gateways: list[int]
    rasa: list[int]
    actions: list[int]


def haproxy_binary() -> str:
    """Debian's haproxy (`make e2e-scale` installs it when missing)."""
    found = shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")
    if found is None:
        raise RuntimeError("haproxy is not installed: run `make e2e-scale` (it installs it)")
    return found


def balancer_env(fronts: Fronts, backends: Backends, admin_socket: Path) -> dict[str, str]:
    """docker/haproxy.cfg's variables for localhost."""
    env = {
        "LB_LOCAL": "1",
        "LB_ADDRESS": "127.0.0.1",
        "LB_PORT": str(fronts.public),
        "LB_INTERNAL_PORT": str(fronts.internal),
        "LB_RASA_PORT": str(fronts.rasa),
        "LB_ACTIONS_PORT": str(fronts.actions),
        "LB_SOCKET": str(admin_socket),
    }
    for tier, ports in (("GATEWAY", backends.gateways), ("RASA", backends.rasa),
                        ("ACTIONS", backends.actions)):  # fmt: skip
        for number, port in enumerate(ports, 1):
            env[f"LB_{tier}_{number}"] = f"127.0.0.1:{port}"
    return env


def haproxy_command() -> list[str]:
    """In the foreground (-db), so the harness owns the process and its log."""
    return [haproxy_binary(), "-db", "-f", str(CONFIG)]
