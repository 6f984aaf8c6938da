"""A city's own assistant, built as the city would build it: its directory loaded into an empty
database with the `wayfinder` command, the NLU lookups generated from that database, and a model
trained on them.

The lookups go into a copy of the training data (the committed nlu_data/lookups/ are the demo
city's and are never touched). A model is kept beside a fingerprint of everything it was trained
from, so it is trained once, and again only when the city's data or the training data change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from benchmarks.stack import log_tail
from bot.launch import train_command
from bot.nlu_lookups import write_lookup_files
from knowledge.db import make_engine
from knowledge.settings import PROJECT_ROOT

WAYFINDER = PROJECT_ROOT / ".venv" / "bin" / "wayfinder"
NLU_DATA = PROJECT_ROOT / "nlu_data"
TRAINED_FROM = ("config.yml", "bot/domain", "bot/data")  # besides the city's nlu_data copy
# The city's identity comes from its own directory, never from the developer's .env.
CITY_SETTINGS = (
    "WAYFINDER_CITY_NAME",
    "WAYFINDER_CURRENCY",
    "WAYFINDER_TIMEZONE",
    "WAYFINDER_LOCALE",
    "WAYFINDER_SEED_DEMO",
)
MODEL_NAME = "model"
Progress = Callable[[str], None]


class CityError(RuntimeError):
    """The city's directory could not be loaded or its model not trained; says why."""


@dataclass(frozen=True)
class CityModel:
    """A city's database and the model trained on it."""

    name: str
    database_url: str
    model: Path
    training_s: float | None  # None: an up-to-date model was reused
    work: Path


def city_env() -> dict[str, str]:
    """The settings a freshly deployed city runs with: the city-identity variables blank."""
    return {name: "" for name in CITY_SETTINGS}


def import_command(csv: Path) -> list[str]:
    """`wayfinder directory import` of a city's spreadsheet."""
    return ["directory", "import", str(csv), "--actor", "scripted-conversations"]


def seed_command() -> list[str]:
    """`wayfinder directory seed` of the demo city."""
    return ["directory", "seed"]


def prepare_city(
    name: str, load: Sequence[str], work: Path, progress: Progress = print
) -> CityModel:
    """Fresh database in `work` filled by `wayfinder <load…>`, lookups from it in a copy of
    nlu_data, and a model trained on that copy (reused when nothing it learns from changed)."""
    work = work.resolve()  # the servers run from the project folder
    work.mkdir(parents=True, exist_ok=True)
    database, log = work / "directory.db", work / "load.log"
    for leftover in (database, *work.glob("directory.db-*"), log):
        leftover.unlink(missing_ok=True)
    database_url = f"sqlite:///{database}"
    env = {**os.environ, **city_env(), "WAYFINDER_DATABASE_URL": database_url}
    progress(f"{name}: loading the directory into {database} …")
    _wayfinder(["db", "upgrade"], env, log)
    _wayfinder(list(load), env, log)
    nlu_data = work / "nlu_data"
    write_training_data(database_url, nlu_data)
    model = work / f"{MODEL_NAME}.tar.gz"
    stamp = work / f"{MODEL_NAME}.fingerprint"
    fingerprint = training_fingerprint(nlu_data)
    if model.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        progress(f"{name}: reusing {model} (nothing it learns from changed)")
        return CityModel(name, database_url, model, None, work)
    progress(f"{name}: training its model (2–4 minutes) …")
    started = time.perf_counter()
    stamp.unlink(missing_ok=True)
    train(nlu_data, work, work / "train.log")
    stamp.write_text(fingerprint + "\n")
    return CityModel(name, database_url, model, time.perf_counter() - started, work)


def write_training_data(database_url: str, folder: Path) -> list[str]:
    """nlu_data copied to `folder` with the lookups generated from the database's directory."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(NLU_DATA, folder, ignore=shutil.ignore_patterns("lookups"))
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return write_lookup_files(session, folder / "lookups")
    finally:
        engine.dispose()


def training_fingerprint(nlu_data: Path) -> str:
    """A hash of every file a model is trained from: config, domain, dialogue data, NLU copy."""
    digest = hashlib.sha256()
    sources = [(PROJECT_ROOT / part, part) for part in TRAINED_FROM] + [(nlu_data, "nlu_data")]
    for root, label in sources:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.is_file():
                name = label if path == root else f"{label}/{path.relative_to(root).as_posix()}"
                digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def train(nlu_data: Path, out: Path, log: Path) -> Path:
    """`rasa train` of the domain, the dialogue data and this NLU data, as `make train` does."""
    command = [*train_command(out, nlu_data), "--fixed-model-name", MODEL_NAME]
    with log.open("wb") as output:
        finished = subprocess.run(
            command, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    model = out / f"{MODEL_NAME}.tar.gz"
    if finished.returncode != 0 or not model.exists():
        raise CityError(
            f"`rasa train` failed (status {finished.returncode}); end of {log}:\n{log_tail(log)}"
        )
    return model


def _wayfinder(arguments: list[str], env: dict[str, str], log: Path) -> None:
    """Run the `wayfinder` command; its output is appended to `log`; a failure says why."""
    with log.open("ab") as output:
        output.write(f"$ wayfinder {' '.join(arguments)}\n".encode())
        output.flush()
        finished = subprocess.run(
            [str(WAYFINDER), *arguments],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if finished.returncode != 0:
        raise CityError(
            f"`wayfinder {' '.join(arguments)}` failed (status {finished.returncode}); "
            f"end of {log}:\n{log_tail(log)}"
        )
