"""The launcher's pieces: command lines, environment, health waits, stopping a child."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.serve import (
    Child,
    actions_ready,
    child_env,
    children,
    city_line,
    directory_settings,
    find_model,
    main,
    port_taken,
    rasa_ready,
    supervise,
    wait_until_ready,
)
from bot.settings import PROJECT_ROOT, ServeSettings

SETTINGS = ServeSettings.from_env({"WAYFINDER_RASA_PORT": "5105", "WAYFINDER_ACTION_PORT": "5155"})


def test_the_four_command_lines() -> None:
    model = Path("/tmp/m/model.tar.gz")
    actions, rasa, gateway, worker = children(SETTINGS, model, Path("/tmp/logs"))
    assert actions.command[1:] == ["-m", "bot.action_server", "-p", "5155"]
    assert actions.command[0] == str(PROJECT_ROOT / ".venv" / "bin" / "python")
    assert actions.env_overrides == {"SANIC_HOST": "127.0.0.1"}
    assert rasa.command == [
        str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"),
        "run", "--enable-api", "-i", "127.0.0.1", "-p", "5105", "--model", str(model),
        "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
    ]  # fmt: skip
    assert "--cors" not in rasa.command  # CORS stays off unless a web channel asks for it
    assert worker.command[1:] == ["-m", "bot.reminders"]
    assert gateway.command[1:] == ["-m", "bot.gateway"]
    assert [c.log.name for c in (actions, rasa, gateway, worker)] == [
        "actions.log",
        "rasa.log",
        "gateway.log",
        "reminders.log",
    ]


def test_a_token_is_passed_to_rasa() -> None:
    settings = ServeSettings.from_env({"WAYFINDER_RASA_TOKEN": "s3cret"})
    rasa = children(settings, Path("m.tar.gz"), Path("logs"))[1]
    assert rasa.command[-2:] == ["--auth-token", "s3cret"]


def test_children_find_each_other_through_the_environment() -> None:
    env = child_env(SETTINGS, {"WAYFINDER_ACTION_SERVER_URL": "", "PATH": "/bin"})
    assert env["WAYFINDER_ACTION_SERVER_URL"] == "http://127.0.0.1:5155/webhook"  # empty = unset
    assert env["WAYFINDER_RASA_URL"] == "http://127.0.0.1:5105"
    assert env["WAYFINDER_TRACKER_URL"] == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    assert env["WAYFINDER_GATEWAY_URL"] == "http://127.0.0.1:8080"  # the worker delivers there
    assert env["PATH"] == "/bin"
    mine = child_env(SETTINGS, {"WAYFINDER_TRACKER_URL": "postgresql://db/t"})
    assert mine["WAYFINDER_TRACKER_URL"] == "postgresql://db/t"


def test_the_gateway_and_worker_share_a_token_generated_for_the_run() -> None:
    """/internal/* is closed without one (issue #13): `make run` makes one unless .env has it."""
    first, second = child_env(SETTINGS, {}), child_env(SETTINGS, {})
    assert len(first["WAYFINDER_GATEWAY_TOKEN"]) >= 32
    assert first["WAYFINDER_GATEWAY_TOKEN"] != second["WAYFINDER_GATEWAY_TOKEN"]
    given = child_env(SETTINGS, {"WAYFINDER_GATEWAY_TOKEN": "from-dot-env"})
    assert given["WAYFINDER_GATEWAY_TOKEN"] == "from-dot-env"


def test_the_newest_model_or_the_one_given(tmp_path: Path) -> None:
    assert find_model(None, tmp_path) is None
    old, new = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    old.write_bytes(b"")
    new.write_bytes(b"")
    os.utime(old, (1, 1))
    assert find_model(None, tmp_path) == new
    assert find_model(old, tmp_path / "elsewhere") == old


@dataclass
class Fake:
    """What the fake servers answer."""

    status: dict[str, Any] = field(default_factory=dict)
    healthy: bool = False


@pytest.fixture
def server() -> Iterator[tuple[Fake, int]]:
    """A fake Rasa /status and rasa-sdk /health on a free localhost port."""
    state = Fake()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/status"):
                code, body = 200, json.dumps(state.status).encode()
            else:
                code, body = (200 if state.healthy else 503), b"{}"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield state, int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def sleeper(tmp_path: Path, code: str = "import time; time.sleep(60)") -> Child:
    """A real child process standing in for a server."""
    child = Child("test child", [sys.executable, "-c", code], tmp_path / "child.log")
    child.start(dict(os.environ))
    return child


def test_waiting_for_rasa_until_the_model_is_loaded(
    server: tuple[Fake, int], tmp_path: Path
) -> None:
    state, port = server
    child = sleeper(tmp_path)
    check = rasa_ready(f"http://127.0.0.1:{port}", None)
    try:
        assert not check()  # answering, but no model yet
        threading.Timer(0.5, lambda: setattr(state, "status", {"model_file": "m.tar.gz"})).start()
        said: list[str] = []
        assert wait_until_ready(check, child, 10, poll_s=0.1, every_s=0.2, say=said.append)
        assert said and "still waiting for the test child" in said[0]
    finally:
        child.stop()


def test_waiting_for_the_action_server(server: tuple[Fake, int], tmp_path: Path) -> None:
    state, port = server
    child = sleeper(tmp_path)
    try:
        assert not wait_until_ready(actions_ready(port), child, 0.5, poll_s=0.1)  # time-out
        state.healthy = True
        assert wait_until_ready(actions_ready(port), child, 5, poll_s=0.1)
    finally:
        child.stop()


def test_a_child_that_dies_ends_the_wait_and_its_log_says_why(tmp_path: Path) -> None:
    child = sleeper(tmp_path, "import sys; print('cannot load the model'); sys.exit(3)")
    start = time.monotonic()
    assert not wait_until_ready(lambda: False, child, 30, poll_s=0.1)
    assert time.monotonic() - start < 10
    assert "cannot load the model" in child.log_tail()
    child.stop()


def test_a_stop_request_ends_the_wait(tmp_path: Path) -> None:
    child = sleeper(tmp_path)
    try:
        assert not wait_until_ready(lambda: False, child, 30, stopping=lambda: True)
    finally:
        child.stop()


def test_stop_terminates_and_kills_what_ignores_sigterm(tmp_path: Path) -> None:
    polite = sleeper(tmp_path)
    polite.stop()
    assert polite.process is not None and polite.process.returncode == -15
    stubborn = sleeper(
        tmp_path,
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)",
    )
    deadline = time.monotonic() + 10
    while "ready" not in stubborn.log_tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    stubborn.stop(grace_s=0.5)
    assert stubborn.process is not None and stubborn.process.returncode == -9


def test_a_child_that_dies_is_restarted_until_it_dies_too_often(tmp_path: Path) -> None:
    alive, dying = sleeper(tmp_path), sleeper(tmp_path, "print('started')")
    try:
        given_up = supervise([alive, dying], lambda: False, dict(os.environ), 2, 60, poll_s=0.05)
        assert given_up is dying
        assert len(dying.started_at) == 3  # started, then restarted twice
        assert dying.log_tail().count("started") == 3
        assert len(alive.started_at) == 1 and alive.alive()
        assert supervise([alive], lambda: True, dict(os.environ)) is None
    finally:
        alive.stop()
        dying.stop()


def test_a_taken_port_is_noticed(server: tuple[Fake, int]) -> None:
    _, port = server
    assert port_taken(port)


def test_the_ready_banner_names_the_city_and_a_bad_setting_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from knowledge.db import make_engine
    from knowledge.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'city.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {"WAYFINDER_DATABASE_URL": url}
    unnamed = directory_settings(env)
    assert unnamed is not None and city_line(unnamed) == (
        'no name, so replies say "near you" (set WAYFINDER_CITY_NAME); UTC, USD, en_US'
    )
    env |= {"WAYFINDER_CITY_NAME": "Juniper Ford", "WAYFINDER_TIMEZONE": "America/Chicago"}
    named = directory_settings(env)
    assert named is not None and city_line(named) == "Juniper Ford (America/Chicago, USD, en_US)"
    assert directory_settings({**env, "WAYFINDER_TIMEZONE": "Mars/Olympus"}) is None
    assert "WAYFINDER_TIMEZONE must be an IANA time zone" in capsys.readouterr().err
    monkeypatch.setenv("WAYFINDER_TIMEZONE", "Mars/Olympus")
    assert main(["--model", str(tmp_path)]) == 1  # before looking for a model or a port
