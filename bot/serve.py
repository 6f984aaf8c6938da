"""`make run`: the action server, the Rasa server and the reminder worker, supervised together.

Each runs in its own environment (.venv for our code, .venv-rasa for Rasa) and they talk over
HTTP only, as the Docker images do. Logs go to var/log/; Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

from bot.settings import PROJECT_ROOT, ServeSettings

MODEL_LOAD_TIMEOUT_S = 300
ACTION_START_TIMEOUT_S = 60


@dataclass
class Child:
    """A supervised process and where its output goes."""

    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        """Start it with output appended to its log file."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        """Still running?"""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._out is not None:
            self._out.close()


def children(settings: ServeSettings, model: Path) -> list[Child]:
    """The three processes with their exact command lines."""
    venv, venv_rasa = PROJECT_ROOT / ".venv" / "bin", PROJECT_ROOT / ".venv-rasa" / "bin"
    logs = settings.log_dir
    return [
        Child(
            "action server",
            [
                str(venv / "python"),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "-p",
                str(settings.action_port),
            ],
            logs / "actions.log",
        ),
        Child(
            "Rasa server",
            [
                str(venv_rasa / "rasa"),
                "run",
                "--enable-api",
                "-i",
                "127.0.0.1",
                "-p",
                str(settings.rasa_port),
                "--model",
                str(model),
                "--endpoints",
                "bot/endpoints.yml",
                "--credentials",
                "bot/credentials.yml",
            ],
            logs / "rasa.log",
        ),
        Child(
            "reminder worker", [str(venv / "python"), "-m", "bot.reminders"], logs / "reminders.log"
        ),
    ]


def child_env(settings: ServeSettings) -> dict[str, str]:
    """What the children need to find each other."""
    env = dict(os.environ)
    env.setdefault(
        "WAYFINDER_ACTION_SERVER_URL", f"http://127.0.0.1:{settings.action_port}/webhook"
    )
    env.setdefault("WAYFINDER_RASA_URL", settings.rasa_url)
    env.setdefault("WAYFINDER_TRACKER_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}")
    return env


def wait_for(check: Callable[[], bool], child: Child, timeout_s: float) -> bool:
    """Poll a health check until it passes, the child dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            return False
        try:
            if check():
                return True
        except requests.RequestException:
            pass
        time.sleep(1)
    return False


def rasa_ready(url: str) -> Callable[[], bool]:
    """Rasa answers /status with the model it loaded."""
    return lambda: requests.get(f"{url}/status", timeout=2).json().get("model_file") is not None


def actions_ready(port: int) -> Callable[[], bool]:
    """rasa-sdk answers /health."""
    return lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok


def latest_model(models_dir: Path) -> Path | None:
    """The newest trained model, if any."""
    found = sorted(models_dir.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return found[-1] if found else None


def main() -> int:
    """Start, wait until ready, supervise; any child dying stops the rest with a clear message."""
    settings = ServeSettings.from_env()
    model = latest_model(settings.models_dir)
    if model is None:
        print(f"No trained model in {settings.models_dir}: run `make train` (or `make run`).")
        return 1
    env = child_env(settings)
    procs = children(settings, model)
    stopping = False

    def stop_all(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    try:
        action_server, rasa_server, worker = procs
        print(f"Starting the action server on port {settings.action_port} …", flush=True)
        action_server.start(env)
        if not wait_for(actions_ready(settings.action_port), action_server, ACTION_START_TIMEOUT_S):
            return _failed(action_server)
        print(f"Starting the Rasa server on port {settings.rasa_port} (loading {model.name}, "
              "about a minute) …", flush=True)  # fmt: skip
        rasa_server.start(env)
        if not wait_for(rasa_ready(settings.rasa_url), rasa_server, MODEL_LOAD_TIMEOUT_S):
            return _failed(rasa_server)
        worker.start(env)
        print(
            f"\nWayfinder is running.\n"
            f"  Chat in a terminal:   make shell\n"
            f"  REST channel:         POST {settings.rasa_url}/webhooks/rest/webhook "
            '{"sender": "me", "message": "hi"}\n'
            f"  Logs:                 {settings.log_dir}/\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while not stopping:
            dead = next((child for child in procs if not child.alive()), None)
            if dead is not None:
                return _failed(dead)
            time.sleep(1)
        print("\nStopping …")
        return 0
    finally:
        for child in reversed(procs):
            child.stop()


def _failed(child: Child) -> int:
    """Say which process failed and where its log is."""
    print(f"The {child.name} did not start or stopped; see {child.log}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
