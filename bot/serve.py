"""`make run`: the action server, the Rasa server, the channel gateway (web widget, Telegram)
and the reminder worker, supervised together.

Each runs in its own environment (.venv for our code, .venv-rasa for Rasa) and they talk over
HTTP only, as in production. Ports and URLs come from bot.settings.ServeSettings (environment);
logs go to var/log/. A process that dies is restarted (a few times at most); Ctrl-C or SIGTERM
stops all three. See docs/architecture.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import requests
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.launch import (
    ACTION_SERVER_ENV,
    action_server_command,
    gateway_command,
    rasa_server_command,
    reminder_worker_command,
)
from bot.settings import PROJECT_ROOT, ServeSettings
from knowledge.city import city_of
from knowledge.db import make_engine
from knowledge.settings import Settings as DirectorySettings

ACTIONS_TIMEOUT_S = 60
RASA_TIMEOUT_S = 300
STOP_GRACE_S = 20
RESTARTS, RESTART_WINDOW_S = 3, 300  # a child that dies more often than this stops everything
Check = Callable[[], bool]


@dataclass
class Child:
    """A supervised process and the log file its output goes to."""

    name: str
    command: list[str]
    log: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_at: list[float] = field(default_factory=list)
    _out: IO[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        """Start it in its own session (Ctrl-C reaches only us; we stop it in order)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        if self._out is not None:
            self._out.close()
        self.started_at.append(time.monotonic())
        self._out = self.log.open("ab")
        self._out.write(f"\n=== {datetime.now():%Y-%m-%d %H:%M:%S} {self.name} ===\n".encode())
        self._out.flush()
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env={**env, **self.env_overrides},
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        """Still running?"""
        return self.process is not None and self.process.poll() is None

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL if it has not exited after `grace_s` seconds."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._out is not None:
            self._out.close()
            self._out = None

    def log_tail(self, lines: int = 15) -> str:
        """The end of its log, to show why it failed."""
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def children(settings: ServeSettings, model: Path, log_dir: Path) -> list[Child]:
    """The action server, the Rasa server, the gateway and the reminder worker, in start order."""
    rasa = rasa_server_command(settings.rasa_port, model, settings.rasa_token)
    return [
        Child(
            "action server",
            action_server_command(settings.action_port),
            log_dir / "actions.log",
            dict(ACTION_SERVER_ENV),
        ),
        Child("Rasa server", rasa, log_dir / "rasa.log"),
        Child("gateway", gateway_command(), log_dir / "gateway.log"),
        Child("reminder worker", reminder_worker_command(), log_dir / "reminders.log"),
    ]


def child_env(settings: ServeSettings, base: Mapping[str, str]) -> dict[str, str]:
    """The environment plus what the children need to find each other (unset or empty only)."""
    env = dict(base)
    defaults = {
        "WAYFINDER_ACTION_SERVER_URL": f"http://127.0.0.1:{settings.action_port}/webhook",
        "WAYFINDER_RASA_URL": settings.rasa_url,
        "WAYFINDER_TRACKER_URL": f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}",
        "WAYFINDER_GATEWAY_URL": f"http://127.0.0.1:{settings.gateway_port}",
        # The worker's key to the gateway's /internal endpoints, new for every run.
        "WAYFINDER_GATEWAY_TOKEN": secrets.token_urlsafe(32),
    }
    for name, value in defaults.items():
        if not env.get(name, "").strip():
            env[name] = value
    return env


def rasa_ready(url: str, token: str | None) -> Check:
    """Rasa answers /status with the model it loaded (the channels answer only after that)."""

    def check() -> bool:
        params = {"token": token} if token else None
        response = requests.get(f"{url.rstrip('/')}/status", params=params, timeout=2)
        return response.ok and response.json().get("model_file") is not None

    return check


def gateway_ready(port: int) -> Check:
    """The gateway answers /health."""
    return lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok


def actions_ready(port: int) -> Check:
    """rasa-sdk answers /health."""
    return lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok


def wait_until_ready(
    check: Check,
    child: Child,
    timeout_s: float,
    stopping: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] = print,
    poll_s: float = 0.5,
    every_s: float = 10,
) -> bool:
    """Poll a health check until it passes; False when the child dies, time runs out or we stop."""
    start = time.monotonic()
    last_report = start
    while time.monotonic() - start < timeout_s:
        if not child.alive() or stopping():
            return False
        try:
            if check():
                return True
        except (requests.RequestException, ValueError):
            pass
        if time.monotonic() - last_report >= every_s:
            last_report = time.monotonic()
            say(f"  … still waiting for the {child.name} ({last_report - start:.0f} s)")
        time.sleep(poll_s)
    return False


def find_model(given: Path | None, models_dir: Path) -> Path | None:
    """The model given (a file, or a folder to take the newest from), else the newest trained."""
    place = given or models_dir
    if place.is_file():
        return place
    found = sorted(place.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return found[-1] if found else None


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    """Something already listens there (an earlier `make run` still running?)."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def supervise(
    procs: Sequence[Child],
    stopping: Callable[[], bool],
    env: dict[str, str],
    restarts: int = RESTARTS,
    window_s: float = RESTART_WINDOW_S,
    poll_s: float = 0.5,
) -> Child | None:
    """Restart a child that dies; None when asked to stop, the child when it dies too often."""
    while not stopping():
        for child in procs:
            if child.alive():
                continue
            recent = [at for at in child.started_at if time.monotonic() - at < window_s]
            if len(recent) > restarts:
                return child
            code = child.process.returncode if child.process is not None else None
            print(f"The {child.name} stopped (exit code {code}); restarting it. "
                  f"See {child.log}", flush=True)  # fmt: skip
            child.start(env)
        time.sleep(poll_s)
    return None


def _failed(child: Child, what: str) -> int:
    """Say which process failed, where its log is and how it ends."""
    print(f"\nThe {child.name} {what}. The end of {child.log}:\n", file=sys.stderr)
    print(child.log_tail(), file=sys.stderr)
    return 1


def directory_settings(env: Mapping[str, str]) -> DirectorySettings | None:
    """The directory's settings, checked before anything starts; None after saying which is wrong,
    so a bad time zone stops `make run` rather than every reply."""
    try:
        return DirectorySettings.from_env(env)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def city_line(directory: DirectorySettings) -> str:
    """'Alder Bay (America/New_York, USD, en_US)', from the settings and the directory."""
    engine = make_engine(directory.database_url)
    try:
        with Session(engine) as session:
            city = city_of(session, directory)
    except SQLAlchemyError:
        return "unknown: the directory cannot be read (see the action server's log)"
    finally:
        engine.dispose()
    details = f"{city.timezone}, {city.currency}, {city.locale}"
    if city.name is None:
        return f'no name, so replies say "near you" (set WAYFINDER_CITY_NAME); {details}'
    return f"{city.name} ({details})"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.serve", description=__doc__)
    parser.add_argument("--model", type=Path, help="a model file or folder (default: models/)")
    parser.add_argument("--logs", type=Path, help="where the logs go (default: var/log)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start in order, wait until each is ready, then supervise until Ctrl-C or SIGTERM."""
    args = parse_args(argv)
    environment = dict(os.environ)  # read once: our settings, and what the children inherit
    settings = ServeSettings.from_env(environment)
    directory = directory_settings(environment)
    if directory is None:
        return 1
    city = city_line(directory)
    model = find_model(args.model, settings.models_dir)
    if model is None:
        print(f"No trained model in {args.model or settings.models_dir}: run `make train`.")
        return 1
    for port, variable in ((settings.rasa_port, "WAYFINDER_RASA_PORT"),
                           (settings.action_port, "WAYFINDER_ACTION_PORT"),
                           (settings.gateway_port, "WAYFINDER_GATEWAY_PORT")):  # fmt: skip
        if port_taken(port):
            print(f"Port {port} is already in use: stop what runs there or set {variable}.")
            return 1
    log_dir = args.logs or settings.log_dir
    env = child_env(settings, environment)
    procs = children(settings, model, log_dir)
    action_server, rasa_server, gateway, worker = procs
    stop_requested = False

    def request_stop(*_: Any) -> None:
        nonlocal stop_requested
        stop_requested = True

    def stopping() -> bool:
        return stop_requested

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    started = time.monotonic()
    try:
        print(f"Starting the action server on port {settings.action_port} …", flush=True)
        action_server.start(env)
        if not wait_until_ready(
            actions_ready(settings.action_port), action_server, ACTIONS_TIMEOUT_S, stopping
        ):
            return 0 if stop_requested else _failed(action_server, "did not start")
        print(f"Starting the Rasa server on port {settings.rasa_port} with {model.name} "
              "(loading takes up to a minute) …", flush=True)  # fmt: skip
        rasa_server.start(env)
        if not wait_until_ready(
            rasa_ready(settings.rasa_url, settings.rasa_token),
            rasa_server,
            RASA_TIMEOUT_S,
            stopping,
        ):
            return 0 if stop_requested else _failed(rasa_server, "did not start")
        print(f"Starting the gateway on port {settings.gateway_port} …", flush=True)
        gateway.start(env)
        if not wait_until_ready(gateway_ready(settings.gateway_port), gateway, 60, stopping):
            return 0 if stop_requested else _failed(gateway, "did not start")
        print("Starting the reminder worker …", flush=True)
        worker.start(env)
        telegram = (
            "on (TELEGRAM_BOT_TOKEN is set)"
            if settings.telegram
            else "off: set TELEGRAM_BOT_TOKEN (see README) to start the Telegram bot"
        )
        print(
            f"\nWayfinder is ready ({time.monotonic() - started:.0f} s).\n"
            f"  Web chat:            http://127.0.0.1:{settings.gateway_port}/\n"
            f"  Telegram:            {telegram}\n"
            f"  City:                {city}\n"
            "  Chat in a terminal:  make shell\n"
            f"  REST channel:        POST {settings.rasa_url}/webhooks/rest/webhook"
            ' {"sender": "me", "message": "hi"}\n'
            f"  Logs:                {log_dir}/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        dead = supervise(procs, stopping, env)
        if dead is not None:
            return _failed(dead, "keeps stopping; stopping the others")
        print("\nStopping …", flush=True)
        return 0
    finally:
        for child in reversed(procs):
            child.stop()


if __name__ == "__main__":
    sys.exit(main())
