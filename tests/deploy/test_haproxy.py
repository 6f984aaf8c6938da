"""docker/haproxy.cfg: the routes and time-outs the gateways need, checked by HAProxy itself in
both its forms, and run on localhost in front of two fake gateways."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bot.api import API_PREFIX
from bot.gateway.organiser_page import PREFIX as ORGANISERS
from bot.gateway.rasa import TIMEOUT_S as GATEWAY_WAITS_FOR_RASA_S
from bot.gateway.settings import WEBHOOK_PATH
from bot.gateway.web import FILES, LONG_POLL_S
from tests.deploy.haproxy_config import (
    HAPROXY_CFG,
    public_routes,
    seconds,
    sections,
    timeout,
)

HAPROXY = shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")
# `make unit` installs Debian's haproxy; CI sets WAYFINDER_REQUIRE_HAPROXY=1 so a missing one
# fails these tests there instead of skipping them.
needs_haproxy = pytest.mark.skipif(
    HAPROXY is None and os.environ.get("WAYFINDER_REQUIRE_HAPROXY") != "1",
    reason="Debian's haproxy is not installed (make haproxy)",
)


def test_the_public_door_lets_through_exactly_the_gateways_public_routes() -> None:
    exact, prefixes = public_routes()
    assert exact == {*FILES, "/privacy", WEBHOOK_PATH, API_PREFIX}
    assert prefixes == {"/api/web/", f"{API_PREFIX}/", f"{ORGANISERS}/"}
    assert not any(path.startswith("/internal") for path in exact | prefixes)
    public = sections()["frontend public"]
    acls = {words[1] for words in public if words[0] == "acl"}
    (deny,) = [words for words in public if words[:2] == ["http-request", "deny"]]
    condition = deny[deny.index("unless") + 1 :]
    assert set(condition[::2]) == acls and set(condition[1::2]) == {"or"}  # any of them passes


def test_time_outs_outlast_the_long_poll_and_the_gateways_wait_for_rasa() -> None:
    gateways = sections()["backend gateways"]
    (long_poll,) = [words for words in gateways if words[:2] == ["http-request", "set-timeout"]]
    assert long_poll[2] == "server" and "/api/web/events" in long_poll
    assert seconds(long_poll[3]) >= LONG_POLL_S + 10
    assert timeout("frontend public", "client") > seconds(long_poll[3])
    assert timeout("backend gateways", "server") > GATEWAY_WAITS_FOR_RASA_S
    assert timeout("backend rasa", "server") > GATEWAY_WAITS_FOR_RASA_S


def test_health_checks_probe_each_servers_own_health_endpoint() -> None:
    checks = {
        name.split()[1]: words[-1]
        for name, lines in sections().items()
        for words in lines
        if words[:2] == ["option", "httpchk"]
    }
    assert checks == {"gateways": "/health", "rasa": "/", "actions": "/health"}


def test_a_message_sent_to_a_gateway_is_never_sent_to_another() -> None:
    """A gateway may have handed the message to Rasa already: only a refused connection moves
    the request on (Rasa and the actions also retry an empty answer: they saved nothing)."""
    retries = {
        name: words[1:]
        for name, lines in sections().items()
        for words in lines
        if words[0] == "retry-on"
    }
    assert retries["defaults"] == ["conn-failure"]
    assert "backend gateways" not in retries
    assert (
        retries["backend rasa"] == retries["backend actions"] == ["conn-failure", "empty-response"]
    )


def _local_env(ports: dict[str, int], gateways: list[int], socket_path: Path) -> dict[str, str]:
    servers = [f"127.0.0.1:{port}" for port in gateways]
    return {
        **os.environ,
        "LB_LOCAL": "1",
        "LB_ADDRESS": "127.0.0.1",
        "LB_PORT": str(ports["public"]),
        "LB_INTERNAL_PORT": str(ports["internal"]),
        "LB_RASA_PORT": str(ports["rasa"]),
        "LB_ACTIONS_PORT": str(ports["actions"]),
        "LB_SOCKET": str(socket_path),
        **{f"LB_{kind}_{n}": server for kind in ("GATEWAY", "RASA", "ACTIONS")
           for n, server in enumerate(servers, 1)},
    }  # fmt: skip


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert HAPROXY is not None
    return subprocess.run(
        [HAPROXY, "-c", "-f", str(HAPROXY_CFG)], env=env, capture_output=True, text=True
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@needs_haproxy
def test_haproxy_accepts_the_file_in_both_forms_and_refuses_a_missing_server(
    tmp_path: Path,
) -> None:
    compose = {**os.environ, "LB_SOCKET": str(tmp_path / "compose.sock")}
    compose.pop("LB_LOCAL", None)
    assert _check(compose).returncode == 0, _check(compose).stderr
    ports = {name: _free_port() for name in ("public", "internal", "rasa", "actions")}
    local = _local_env(ports, [_free_port(), _free_port()], tmp_path / "local.sock")
    assert _check(local).returncode == 0, _check(local).stderr
    del local["LB_RASA_2"]
    refused = _check(local)
    assert refused.returncode != 0 and "server" in refused.stderr


class _FakeGateway(BaseHTTPRequestHandler):
    """Answers every GET with its own name, so the test sees which server took the request."""

    def do_GET(self) -> None:
        body = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def two_gateways() -> Iterator[list[ThreadingHTTPServer]]:
    servers = []
    for name in ("one", "two"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGateway)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


@needs_haproxy
def test_the_balancer_spreads_the_public_routes_and_keeps_internal_ones_inside(
    tmp_path: Path, two_gateways: list[ThreadingHTTPServer]
) -> None:
    assert HAPROXY is not None
    ports = {name: _free_port() for name in ("public", "internal", "rasa", "actions")}
    gateways = [server.server_address[1] for server in two_gateways]
    env = _local_env(ports, [int(port) for port in gateways], tmp_path / "admin.sock")
    balancer = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(HAPROXY_CFG)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    public = f"http://127.0.0.1:{ports['public']}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"{public}/widget.js", timeout=2)
                break
            except requests.ConnectionError:
                assert balancer.poll() is None and time.monotonic() < deadline, "no haproxy"
                time.sleep(0.1)
        served = Counter(
            requests.get(f"{public}{path}", timeout=5).text
            for path in ["/", "/widget.js", "/api/web/events", "/privacy", "/api/v1/opportunities"]
            * 4
        )
        assert served == {"one": 10, "two": 10}
        for path in ("/internal/deliver", "/internal/stats", "/health", "/metrics", "/admin"):
            assert requests.get(f"{public}{path}", timeout=5).status_code == 404, path
        internal = requests.get(f"http://127.0.0.1:{ports['internal']}/internal/stats", timeout=5)
        assert internal.status_code == 200 and internal.text in {"one", "two"}
        two_gateways[1].shutdown()
        two_gateways[1].server_close()  # refused from now on: the other gateway takes it all
        answers = [requests.get(f"{public}/widget.js", timeout=5) for _ in range(6)]
        assert [(answer.status_code, answer.text) for answer in answers] == [(200, "one")] * 6
    finally:
        balancer.terminate()
        balancer.wait(timeout=10)
