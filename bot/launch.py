"""The command line of each process of the stack, written once: `make run` (bot/serve.py), the
e2e tests and the benchmarks (benchmarks/stack.py) all start the servers with these."""

from __future__ import annotations

from pathlib import Path

from bot.settings import PROJECT_ROOT

PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"  # our code: actions, gateway, worker
RASA = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"  # the Rasa server's own environment
LOCALHOST = "127.0.0.1"
# rasa-sdk listens on every interface unless Sanic is told otherwise through its environment.
ACTION_SERVER_ENV = {"SANIC_HOST": LOCALHOST}


def training_data_args(nlu_data: str | Path = "nlu_data") -> list[str]:
    """What a model learns from (as the Makefile's TRAIN_ARGS): the domain, the NLU examples
    (a city's own folder for a city's model), the dialogue, the pipeline."""
    return ["--domain", "bot/domain", "--data", str(nlu_data), "bot/data", "--config", "config.yml"]


def train_command(out: Path, nlu_data: str | Path = "nlu_data") -> list[str]:
    """`rasa train` of the assistant into the folder `out` (run in the project folder)."""
    return [str(RASA), "train", *training_data_args(nlu_data), "--out", str(out)]


def action_server_command(port: int) -> list[str]:
    """rasa-sdk serving actions/ (start it with ACTION_SERVER_ENV, so only on localhost)."""
    return [str(PYTHON), "-m", "bot.action_server", "-p", str(port)]


def rasa_server_command(port: int, model: Path, token: str | None = None) -> list[str]:
    """The Rasa server on localhost with its HTTP API, our endpoints and channels (paths relative
    to the project folder it runs in), and the API's token when one is set."""
    command = [str(RASA), "run", "--enable-api", "-i", LOCALHOST, "-p", str(port)]
    command += ["--model", str(model)]
    command += ["--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml"]
    return command + (["--auth-token", token] if token else [])


def gateway_command() -> list[str]:
    """The channel gateway (web widget, Telegram, provider API); its settings come from the
    environment."""
    return [str(PYTHON), "-m", "bot.gateway"]


def reminder_worker_command() -> list[str]:
    """The reminder worker; its settings come from the environment."""
    return [str(PYTHON), "-m", "bot.reminders"]
