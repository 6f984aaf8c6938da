"""The widget's API under load it did not ask for: one client calling in a loop, and long polls
opened and dropped by the thousand. The gateway app runs in this process, on a free localhost port
(so its long-poll bookkeeping can be looked at); every request goes over real HTTP."""

from __future__ import annotations

import http.client
import secrets
import socket
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
import requests

from bot.gateway.settings import GatewaySettings
from bot.gateway.texts import say
from bot.gateway.web import client_address
from tests.bot.gateway.conftest import Serve


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait for the server thread to catch up (a deadline against hanging, not a measurement)."""
    deadline = time.monotonic() + 60
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_a_client_past_its_rate_is_told_to_wait_and_others_are_not(
    served: Serve,
) -> None:
    url, _ = served(web_rate_per_minute=3)
    poll = f"{url}/api/web/events?session={'s' * 20}&after=x"  # refused with 400 once let in
    assert [requests.get(poll, timeout=10).status_code for _ in range(3)] == [400, 400, 400]
    message = {"session": "s" * 20, "text": "hello"}
    for refused in (
        requests.get(poll, timeout=10),
        requests.post(f"{url}/api/web/messages", json=message, timeout=10),
    ):
        assert refused.status_code == 429
        wait = refused.headers["Retry-After"]
        assert wait.isdigit() and 1 <= int(wait) <= 60
        assert refused.json() == {"error": say("web_too_many", seconds=wait)}
    assert requests.get(f"{url}/widget.js", timeout=10).ok  # the page's files are not counted
    other = http.client.HTTPConnection(  # another address on the loopback network
        "127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=10, source_address=("127.0.0.2", 0)
    )
    other.request("GET", poll.removeprefix(url))
    assert other.getresponse().status == 400
    other.close()


def test_the_rate_comes_from_the_environment_with_a_default(settings: GatewaySettings) -> None:
    assert settings.web_rate_per_minute == 300
    env = {"WAYFINDER_PSEUDONYM_KEY": "k" * 40, "WAYFINDER_WEB_RATE_PER_MINUTE": "20"}
    assert GatewaySettings.from_env(env).web_rate_per_minute == 20


def test_long_polls_dropped_over_http_leave_no_waiters_behind(
    served: Serve,
) -> None:
    url, gateway = served(web_rate_per_minute=1_000_000)
    port = int(url.rsplit(":", 1)[1])
    for _ in range(2):  # 500 at a time (test_outbox drops 20,000 without the HTTP round trips)
        polls = []
        for _ in range(500):
            poll = socket.create_connection(("127.0.0.1", port), timeout=10)
            session = secrets.token_urlsafe(16)
            head = f"GET /api/web/events?after=0 HTTP/1.1\r\nX-Wayfinder-Session: {session}\r\n"
            poll.sendall(f"{head}\r\n".encode())
            polls.append(poll)
        eventually(lambda: len(gateway.outbox.wakes) >= 500, "the polls did not start waiting")
        for poll in polls:  # the widget closed, the tab navigated away, the attacker moved on
            poll.close()
        eventually(lambda: len(gateway.outbox.wakes) == 0, "dropped polls were kept waiting")


@pytest.mark.parametrize(
    ("remote_addr", "ip", "client"),
    [
        ("", "203.0.113.5", "203.0.113.5"),
        ("", "::ffff:203.0.113.5", "203.0.113.5"),
        ("", "2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # one home's or attacker's /64
        ("", "2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("[2001:db8:9::1]", "127.0.0.1", "2001:db8:9::/64"),  # a proxy Sanic was told to trust
    ],
)
def test_clients_are_counted_by_address_and_ipv6_by_its_64(
    remote_addr: str, ip: str, client: str
) -> None:
    request = SimpleNamespace(remote_addr=remote_addr, ip=ip)
    assert client_address(request) == client  # type: ignore[arg-type]
