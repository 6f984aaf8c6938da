"""The assistant's servers on localhost (action server + Rasa server), started as `make run` does.

One launcher for the e2e tests (tests/e2e/conftest.py), the scripted conversations
(benchmarks.conversations) and the load benchmarks (benchmarks.assistant), so they all run the
stack the same way: `make run`'s command lines (bot.launch), free ports, the directory and
tracker store from WAYFINDER_* variables, and a clear error with the end of a server's log when
it does not come up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

from bot.launch import ACTION_SERVER_ENV, action_server_command, rasa_server_command
from knowledge.settings import PROJECT_ROOT

ACTIONS_START_TIMEOUT_S = 60
MODEL_LOAD_TIMEOUT_S = 300
STOP_TIMEOUT_S = 20
LOG_TAIL = 3000

Process = subprocess.Popen[bytes]


class StackError(RuntimeError):
    """A server exited or did not become ready; the message ends with the tail of its log."""


# The machine's PostgreSQL (trust auth), where the scale test and the capacity benchmark make
# databases of their own.
LOCAL_POSTGRES = "postgres@127.0.0.1:5432"


@contextmanager
def scratch_postgres(name: str) -> Iterator[str]:
    """An empty PostgreSQL database of our own on the machine's server, dropped on leaving (also
    when something still holds a connection to it); yields its name."""
    admin = f"postgresql://{LOCAL_POSTGRES}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_tail(log: Path) -> str:
    """The end of a server's log, for error messages."""
    return log.read_text(errors="replace")[-LOG_TAIL:] if log.exists() else "(no log)"


def start_process(command: Sequence[str], env: Mapping[str, str], log: Path) -> Process:
    """Start a server in the project folder, its output (both streams) in `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            list(command), cwd=PROJECT_ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )


def stop_processes(processes: Sequence[Process]) -> None:
    """Ask every process to stop, then kill those that do not within STOP_TIMEOUT_S."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(
    ready: Callable[[], bool],
    timeout_s: float,
    what: str,
    log: Path,
    process: Process | None = None,
) -> None:
    """Poll until a server answers; fail early if it exits, and with its log on time-out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackError(
                f"{what} exited with status {process.returncode} while starting; "
                f"end of {log}:\n{log_tail(log)}"
            )
        try:
            if ready():
                return
        except (requests.RequestException, ValueError):
            pass  # not listening yet, or not answering JSON yet
        time.sleep(1)
    raise StackError(
        f"{what} did not become ready in {timeout_s:g} s; end of {log}:\n{log_tail(log)}"
    )


@dataclass
class Assistant:
    """A running action server and Rasa server, and where their data and logs live."""

    rasa_url: str
    action_url: str
    database_url: str
    tracker_url: str
    logs: Path
    env: dict[str, str]  # the servers' environment, for companions such as the gateway
    processes: dict[str, Process] = field(default_factory=dict)


def rasa_has_model(rasa_url: str) -> bool:
    """The Rasa server answers and has loaded its model."""
    status = requests.get(f"{rasa_url}/status", timeout=2).json()
    return status.get("model_file") is not None


@contextmanager
def run_assistant(
    model: Path,
    database_url: str,
    logs: Path,
    *,
    env: Mapping[str, str] | None = None,
    tracker_url: str | None = None,
) -> Iterator[Assistant]:
    """Action server + Rasa server (HTTP API on, REST channel) on free ports with `model` on the
    directory at `database_url`; `env` adds to (or blanks) this process's environment; the
    tracker store defaults to a SQLite file in `logs`. Both are stopped on leaving."""
    if not model.exists():
        raise StackError(f"the model {model} does not exist")
    rasa_port, action_port = free_port(), free_port()
    assistant = Assistant(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        action_url=f"http://127.0.0.1:{action_port}",
        database_url=database_url,
        tracker_url=tracker_url or f"sqlite:///{logs / 'tracker.db'}",
        logs=logs,
        env={},
    )
    assistant.env = {
        **os.environ,
        **(env or {}),
        "WAYFINDER_DATABASE_URL": database_url,
        "WAYFINDER_TRACKER_URL": assistant.tracker_url,
        "WAYFINDER_ACTION_SERVER_URL": f"{assistant.action_url}/webhook",
        "WAYFINDER_RASA_URL": assistant.rasa_url,
    }
    actions_log, rasa_log = logs / "actions.log", logs / "rasa.log"
    try:
        assistant.processes["actions"] = start_process(
            action_server_command(action_port), assistant.env | ACTION_SERVER_ENV, actions_log
        )
        assistant.processes["rasa"] = start_process(
            rasa_server_command(rasa_port, model), assistant.env, rasa_log
        )
        wait_until(
            lambda: requests.get(f"{assistant.action_url}/health", timeout=2).ok,
            ACTIONS_START_TIMEOUT_S,
            "the action server",
            actions_log,
            assistant.processes["actions"],
        )
        wait_until(
            lambda: rasa_has_model(assistant.rasa_url),
            MODEL_LOAD_TIMEOUT_S,
            "the Rasa server",
            rasa_log,
            assistant.processes["rasa"],
        )
        yield assistant
    finally:
        stop_processes(list(assistant.processes.values())[::-1])
